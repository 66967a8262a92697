"""Products that never reached the shop: skipped stock and price pushes, price_missing and Retry."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import translation

from integrations.models import OutboundMessage, OutboundState, SyncError
from integrations.sandbox import store
from integrations.services.delivery import deliver_message
from integrations.services.outbox import enqueue_outbound
from integrations.services.syncruns import retry_sync_errors
from integrations.shopware.mappers import MissingPrice
from integrations.shopware.tasks import push_catalog, push_stock
from tests.factories import PriceFactory

pytestmark = pytest.mark.django_db


def shop_product(sku):
    row = store.find_by_natural_key("shopware", "product", sku)
    return None if row is None else row.data


def enqueue(product, entity):
    with transaction.atomic():
        return enqueue_outbound(product, entity, {"sku": product.sku})[0]


@pytest.mark.parametrize("entity", ["stock", "prices"])
def test_hot_push_of_unpushed_product_is_skipped(sandbox, connection, make_product, entity):
    product = make_product("NEVER-PUSHED", gross=None)

    message = enqueue(product, entity)
    result = deliver_message(message.pk)

    message.refresh_from_db()
    assert result == OutboundState.DELIVERED
    assert message.remote_id == ""
    assert shop_product("NEVER-PUSHED") is None
    assert not SyncError.objects.exists()


def test_stock_task_skips_unpushed_products(sandbox, connection, make_product, caplog):
    make_product("PUSHED-1", on_hand=4)
    push_catalog(connection.pk)
    make_product("NOT-PUSHED-1", on_hand=9)

    written = push_stock(connection.pk)

    assert "Shopware stock batch partly rejected" not in caplog.messages
    assert written == 1
    assert shop_product("NOT-PUSHED-1") is None
    assert shop_product("PUSHED-1")["stock"] == 4
    assert not SyncError.objects.exists()


def test_price_missing_message_says_how_to_fix(sandbox, connection, make_product):
    make_product("NO-PRICE-1", gross=None)

    push_catalog(connection.pk)

    error = SyncError.objects.get(code="price_missing")
    assert error.message == (
        "SKU NO-PRICE-1 has no EUR price that is valid now, and Shopware needs a price in its default currency, "
        "so the product was not sent to the shop. Add a EUR price for SKU NO-PRICE-1 in the PIM (or in Kontor), "
        "then select this error and use Retry."
    )


def test_price_missing_message_names_price_list(sandbox, connection, make_product):
    credentials = connection.credentials
    connection.set_credentials({**credentials, "price_list": "retail"})
    connection.save()
    make_product("NO-PRICE-2", gross=None)

    push_catalog(connection.pk)

    assert "Add a EUR price for SKU NO-PRICE-2 in price list retail in the PIM" in SyncError.objects.get(code="price_missing").message


def test_repeated_push_keeps_one_price_missing_error(sandbox, connection, make_product):
    make_product("NO-PRICE-3", gross=None)

    push_catalog(connection.pk)
    push_catalog(connection.pk)

    assert SyncError.objects.filter(code="price_missing", resolved=False).count() == 1
    assert OutboundMessage.objects.filter(entity="products").count() == 1


def test_retry_pushes_product_after_price_added(sandbox, connection, make_product):
    product = make_product("LATE-PRICE-1", gross=None)
    push_catalog(connection.pk)
    PriceFactory(product=product, currency="EUR", amount=Decimal("7.50"))

    queued = retry_sync_errors(SyncError.objects.filter(code="price_missing"))
    message = SyncError.objects.get(code="price_missing").outbound_message
    result = deliver_message(message.pk)

    assert queued == 1
    assert result == OutboundState.DELIVERED
    assert shop_product("LATE-PRICE-1")["price"][0]["gross"] == 7.5
    assert SyncError.objects.get(code="price_missing").resolved is True


def test_price_missing_message_in_german():
    error = MissingPrice(sku="NO-PRICE-4", currency="EUR", price_list="retail")

    with translation.override("de"):
        message = error.support_message

    assert message == (
        "SKU NO-PRICE-4 hat keinen jetzt gültigen Preis in EUR, und Shopware braucht einen Preis in seiner Standardwährung, "
        "daher wurde der Artikel nicht an den Shop gesendet. Legen Sie im PIM (oder in Kontor) einen Preis in EUR für "
        "SKU NO-PRICE-4 in der Preisliste retail an, wählen Sie dann diesen Fehler aus und verwenden Sie Erneut versuchen."
    )


def test_next_catalog_push_resolves_price_missing(sandbox, connection, make_product):
    product = make_product("LATE-PRICE-2", gross=None)
    push_catalog(connection.pk)
    PriceFactory(product=product, currency="EUR", amount=Decimal("3.00"))

    push_catalog(connection.pk)

    assert shop_product("LATE-PRICE-2")["price"][0]["gross"] == 3.0
    assert SyncError.objects.get(code="price_missing").resolved is True
    assert OutboundMessage.objects.get(entity="products").state == OutboundState.SUPERSEDED


def test_model_without_variant_price_names_the_model():
    from types import SimpleNamespace

    from integrations.shopware.mappers import MissingModelPrice, parent_payload

    model = SimpleNamespace(code="model-biker-jacket")
    context = SimpleNamespace(currency_ids={"EUR": "eur-id"}, default_currency="EUR", price_list="retail")

    with pytest.raises(MissingModelPrice) as raised:
        parent_payload(model, context, shop_id="p-1", variant_prices=[[], []], option_ids=[])

    assert raised.value.code == "price_missing"
    assert raised.value.support_message.startswith("No variant of product model model-biker-jacket has a EUR price")
    with translation.override("de"):
        assert raised.value.support_message.startswith("Keine Variante des Artikelmodells model-biker-jacket hat einen jetzt gültigen Preis in EUR.")
