from tests.payments.conftest import clean_shared_limits, payment_erp_connector, queued  # noqa: F401 (fixtures)
