"""Fixtures of the order set attacks: the sandbox shop and connection of the Shopware tests."""

from tests.shopware.conftest import *  # noqa: F403
from tests.shopware.test_order_set_batches import erp, per_event_calls, shop  # noqa: F401
