"""The catalog push logs products without a price in the shop's currency in one line, not one per product."""

import logging

import pytest

from integrations.models import OutboundMessage, OutboundState, SyncDirection, SyncError
from integrations.services.syncruns import record_sync_error
from integrations.shopware import mappers
from integrations.shopware.connector import shop_context
from integrations.shopware.tasks import push_catalog
from tests.shopware.test_push import make_variants

pytestmark = pytest.mark.django_db

PUSH_LOGGER = "integrations.shopware.push"
SYNCRUNS_LOGGER = "integrations.services.syncruns"
UNPRICED_SKUS = ["NO-PRICE-1", "NO-PRICE-2", "NO-PRICE-3"]


@pytest.fixture
def unpriced_catalog(make_product):
    make_product("PRICED-1")
    for sku in UNPRICED_SKUS:
        make_product(sku, gross=None)


def warnings_from(caplog, logger_name):
    return [record for record in caplog.records if record.name == logger_name and record.levelno == logging.WARNING]


def test_push_logs_one_summary_line(sandbox, connection, unpriced_catalog, caplog):
    caplog.set_level(logging.INFO)

    push_catalog(connection.pk)

    [summary] = warnings_from(caplog, PUSH_LOGGER)
    path = f"/admin/integrations/syncerror/?connection__id__exact={connection.pk}&code__exact=price_missing&resolved__exact=0"
    assert summary.getMessage() == (
        "Shopware push left out 3 products that have no price in EUR, the shop's default currency. "
        f"Each is listed as a sync error in the admin under Integrations > Sync errors: {path}"
    )
    assert summary.connection_id == connection.pk
    assert summary.code == "price_missing"
    assert warnings_from(caplog, SYNCRUNS_LOGGER) == []


def test_push_keeps_each_sync_error(sandbox, connection, unpriced_catalog, caplog):
    caplog.set_level(logging.INFO)

    push_catalog(connection.pk)

    errors = SyncError.objects.filter(connection=connection, code="price_missing", resolved=False)
    assert sorted(errors.values_list("external_id", flat=True)) == UNPRICED_SKUS
    failed = OutboundMessage.objects.filter(connection=connection, state=OutboundState.FAILED, error_code="price_missing")
    assert failed.count() == 3
    assert all(error.outbound_message_id is not None for error in errors)


def test_push_logs_each_product_at_debug(sandbox, connection, unpriced_catalog, caplog):
    caplog.set_level(logging.DEBUG, logger=SYNCRUNS_LOGGER)

    push_catalog(connection.pk)

    recorded = [record for record in caplog.records if record.name == SYNCRUNS_LOGGER and record.getMessage() == "sync error recorded"]
    assert sorted(record.external_id for record in recorded) == UNPRICED_SKUS
    assert {record.levelname for record in recorded} == {"DEBUG"}


def test_push_without_unpriced_products_logs_no_summary(sandbox, connection, make_product, caplog):
    caplog.set_level(logging.INFO)
    make_product("PRICED-1")

    push_catalog(connection.pk)

    assert warnings_from(caplog, PUSH_LOGGER) == []


def test_other_push_errors_still_warn_per_product(sandbox, connection, make_product, client_for, caplog):
    caplog.set_level(logging.INFO)
    make_variants(make_product)
    client = client_for(connection)
    # A shop product under the parent's number makes the shop reject the parent, so each variant fails.
    shop = shop_context(client, connection)
    client.sync({"seed": {"entity": "product", "action": "upsert", "payload": [
        {"id": "e" * 32, "productNumber": "SHIRT", "name": "Other", "stock": 1, "taxId": shop.tax_id,
         "price": [{"currencyId": shop.currency_ids["EUR"], "gross": 1.0, "net": 0.84, "linked": True}]},
    ]}})

    push_catalog(connection.pk)

    rejected = [record for record in warnings_from(caplog, SYNCRUNS_LOGGER) if record.code == "remote_rejected"]
    assert sorted(record.external_id for record in rejected) == ["SHIRT-BLUE", "SHIRT-RED"]
    summaries = [record for record in warnings_from(caplog, PUSH_LOGGER) if record.getMessage().startswith("Shopware push left out")]
    assert summaries == []


def test_sync_error_outside_push_still_warns(sandbox, connection, unpriced_catalog, caplog):
    caplog.set_level(logging.INFO)
    push_catalog(connection.pk)
    caplog.clear()

    error = mappers.MissingPrice(sku="NO-PRICE-1", currency="EUR", price_list="")
    record_sync_error(connection, SyncDirection.OUTBOUND, error, entity="products", external_id="NO-PRICE-1")

    [warning] = warnings_from(caplog, SYNCRUNS_LOGGER)
    assert warning.code == "price_missing"
    assert warning.external_id == "NO-PRICE-1"
