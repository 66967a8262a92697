import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connections, transaction
from django.utils import timezone

from catalog.models import AttributeType, AttributeValue, ChannelStockBuffer
from catalog.services import stock
from integrations.models import Binding, OutboundState, SyncError
from integrations.sandbox import faults, store
from integrations.services.delivery import deliver_message
from integrations.services.outbox import enqueue_outbound
from integrations.shopware import mappers, push
from integrations.shopware.connector import shop_context
from integrations.shopware.tasks import push_catalog
from tests.factories import (
    AttributeFactory,
    AttributeOptionFactory,
    PriceFactory,
    ProductFactory,
    ProductModelFactory,
    VariantAxisFactory,
    VariantSchemeFactory,
)

pytestmark = pytest.mark.django_db


def shop_product(sku):
    row = store.find_by_natural_key("shopware", "product", sku)
    return None if row is None else row.data


def make_variants(make_product):
    color = AttributeFactory(code="color", type=AttributeType.SINGLE_SELECT, labels={"de_DE": "Farbe"})
    red = AttributeOptionFactory(attribute=color, code="red", labels={"de_DE": "Rot"})
    blue = AttributeOptionFactory(attribute=color, code="blue", labels={"de_DE": "Blau"})
    scheme = VariantSchemeFactory(code="shirt_by_color")
    VariantAxisFactory(scheme=scheme, level=1, attribute=color)
    model = ProductModelFactory(code="SHIRT", product_type=scheme.product_type, variant_scheme=scheme)
    variants = []
    for option, gross in ((red, "20.00"), (blue, "18.00")):
        product = make_product(f"SHIRT-{option.code.upper()}", gross=gross)
        product.parent = model
        product.save()
        AttributeValue.objects.create(product=product, attribute=color, option=option)
        variants.append(product)
    return model, variants


def test_push_creates_simple_products_and_variants(sandbox, connection, make_product):
    simple = make_product("MUG-1", on_hand=7, gross="9.90")
    model, (red, blue) = make_variants(make_product)

    state = push_catalog(connection.pk)

    assert state == "succeeded"
    mug = shop_product("MUG-1")
    assert mug["id"] == mappers.product_id("MUG-1")
    assert mug["stock"] == 7
    assert mug["price"][0]["gross"] == 9.9
    assert mug["price"][0]["net"] == 8.32
    parent = shop_product("SHIRT")
    assert parent["price"][0]["gross"] == 18.0
    assert sorted(setting["optionId"] for setting in parent["configuratorSettings"]) == sorted(
        [mappers.option_id("color", "red"), mappers.option_id("color", "blue")]
    )
    red_variant = shop_product("SHIRT-RED")
    assert red_variant["parentId"] == parent["id"]
    assert red_variant["options"] == [{"id": mappers.option_id("color", "red")}]
    group = store.get("shopware", "property_group", mappers.group_id("color"))
    assert group["name"] == "Farbe"
    assert store.get("shopware", "property_group_option", mappers.option_id("color", "blue"))["name"] == "Blau"
    bound = set(Binding.objects.filter(connection=connection).values_list("external_id", flat=True))
    assert {mappers.product_id(sku) for sku in ("MUG-1", "SHIRT-RED", "SHIRT-BLUE")} <= bound
    assert simple.pk


def test_unnamed_variant_inherits_parent_name(sandbox, connection, make_product):
    # The placeholder "[SKU]" of a product without a name would hide the parent's name in the shop.
    model, (red, blue) = make_variants(make_product)
    red.translations.update(name="[SHIRT-RED]")

    push_catalog(connection.pk)

    assert "name" not in shop_product("SHIRT-RED")
    assert shop_product("SHIRT-BLUE")["name"] == "Artikel SHIRT-BLUE"


def test_push_records_each_failed_item(sandbox, connection, make_product, client_for):
    make_product("OK-1")
    make_product("NO-PRICE", gross=None)
    model, variants = make_variants(make_product)
    client = client_for(connection)
    # A product the shop already has under the parent's number makes the parent fail.
    client.sync({"seed": {"entity": "product", "action": "upsert", "payload": [
        {"id": "e" * 32, "productNumber": "SHIRT", "name": "Other", "stock": 1, "taxId": shop_context(client, connection).tax_id,
         "price": [{"currencyId": shop_context(client, connection).currency_ids["EUR"], "gross": 1.0, "net": 0.84, "linked": True}]},
    ]}})

    push_catalog(connection.pk)

    assert shop_product("OK-1") is not None
    assert shop_product("NO-PRICE") is None
    assert shop_product("SHIRT-RED") is None
    errors = {error.external_id: error for error in SyncError.objects.filter(connection=connection)}
    assert sorted(errors) == ["NO-PRICE", "SHIRT-BLUE", "SHIRT-RED"]
    assert errors["NO-PRICE"].code == "price_missing"
    assert errors["SHIRT-RED"].code == "remote_rejected"
    assert "parentId" in errors["SHIRT-RED"].message


def test_retry_after_fix_creates_nothing_twice(sandbox, connection, make_product):
    make_product("OK-1")
    no_price = make_product("LATE-PRICE", gross=None)
    push_catalog(connection.pk)
    first_id = shop_product("OK-1")["id"]

    PriceFactory(product=no_price, currency="EUR", amount=Decimal("5.00"))
    push_catalog(connection.pk)

    assert store.rows("shopware", "product").filter(natural_key="OK-1").count() == 1
    assert shop_product("OK-1")["id"] == first_id
    assert shop_product("LATE-PRICE")["price"][0]["gross"] == 5.0
    assert store.rows("shopware", "product").count() == 2


def test_existing_shop_product_is_adopted(sandbox, connection, make_product, client_for):
    product = make_product("OLD-1")
    client = client_for(connection)
    context = shop_context(client, connection)
    client.sync({"seed": {"entity": "product", "action": "upsert", "payload": [
        {"id": "a" * 32, "productNumber": "OLD-1", "name": "Old", "stock": 1, "taxId": context.tax_id,
         "price": [{"currencyId": context.currency_ids["EUR"], "gross": 1.0, "net": 0.84, "linked": True}]},
    ]}})

    push_catalog(connection.pk)

    assert store.rows("shopware", "product").count() == 1
    assert shop_product("OLD-1")["name"] == "Artikel OLD-1"
    assert Binding.objects.get(connection=connection, object_id=str(product.pk)).external_id == "a" * 32


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_push_same_sku_create_one_product(sandbox, connection, make_product):
    product = make_product("RACE-1")
    barrier = threading.Barrier(2)
    failures = []

    def worker():
        try:
            client = connection.connector.client(connection)
            context = shop_context(client, connection)
            barrier.wait(timeout=10)
            push.send_batch(client, connection, context, [product])
        except Exception as error:  # noqa: BLE001 (reported by the assert below)
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert failures == []
    assert store.rows("shopware", "product").filter(natural_key="RACE-1").count() == 1
    assert store.rows("shopware", "product").count() == 1


def _stock_message(product):
    with transaction.atomic():
        return enqueue_outbound(product, "stock", {"sku": product.sku})[0]


def test_stock_push_sends_channel_availability(sandbox, connection, channel, make_product):
    product = make_product("STOCK-1", on_hand=10)
    push_catalog(connection.pk)
    ChannelStockBuffer.objects.create(channel=channel, product=product, quantity=2)
    stock.record_on_hand(product, product.stock_levels.get().warehouse, 7)

    message = _stock_message(product)
    result = deliver_message(message.pk)

    assert result == OutboundState.DELIVERED
    assert shop_product("STOCK-1")["stock"] == 5


def test_stock_push_waits_for_retry_after(sandbox, connection, make_product):
    product = make_product("STOCK-2", on_hand=3)
    push_catalog(connection.pk)
    connection.connector.client(connection).token()
    faults.update_faults("shopware", {"fail_next_requests": 1, "fail_next_status": 429, "retry_after_seconds": 30})

    message = _stock_message(product)
    before = timezone.now()
    result = deliver_message(message.pk)

    message.refresh_from_db()
    assert result == OutboundState.PENDING
    assert message.error_code == "rate_limited"
    assert message.next_attempt_at >= before + timedelta(seconds=30)


def test_stock_push_retries_after_server_error(sandbox, connection, make_product):
    product = make_product("STOCK-3", on_hand=4)
    push_catalog(connection.pk)
    connection.connector.client(connection).token()
    faults.update_faults("shopware", {"fail_next_requests": 1, "fail_next_status": 502})
    message = _stock_message(product)

    first = deliver_message(message.pk)
    message.refresh_from_db()
    message.next_attempt_at = timezone.now()
    message.save(update_fields=["next_attempt_at"])
    second = deliver_message(message.pk)

    assert first == OutboundState.PENDING
    assert second == OutboundState.DELIVERED
    assert shop_product("STOCK-3")["stock"] == 4


def test_product_deleted_in_shop_fails_stock_push(sandbox, connection, make_product):
    product = ProductFactory(sku="DELETED-IN-SHOP")
    Binding.objects.create(connection=connection, content_type=ContentType.objects.get_for_model(product), object_id=str(product.pk), external_id="d" * 32)

    message = _stock_message(product)
    result = deliver_message(message.pk)

    assert result == OutboundState.FAILED
    assert SyncError.objects.get(outbound_message=message).code == "not_found"


def _count_sync_calls(monkeypatch):
    from integrations.shopware.client import ShopwareClient

    calls = []
    original = ShopwareClient.sync

    def counting(self, operations, **kwargs):
        calls.append(sorted(operations))
        return original(self, operations, **kwargs)

    monkeypatch.setattr(ShopwareClient, "sync", counting)
    return calls


def test_stock_and_prices_go_out_in_one_sync_call(sandbox, connection, make_product, monkeypatch):
    from integrations.services.batches import deliver_due_messages

    first, second = make_product("BATCH-1", on_hand=5), make_product("BATCH-2", on_hand=6)
    priced = make_product("BATCH-3", gross="20.00")
    push_catalog(connection.pk)
    unpushed = make_product("BATCH-NEW", on_hand=9)
    stock.record_on_hand(first, first.stock_levels.get().warehouse, 3)
    PriceFactory(product=priced, price_list=priced.prices.first().price_list, currency="GBP", amount=Decimal("17.00"))
    with transaction.atomic():
        messages = [
            enqueue_outbound(first, "stock", {"sku": first.sku})[0],
            enqueue_outbound(second, "stock", {"sku": second.sku})[0],
            enqueue_outbound(unpushed, "stock", {"sku": unpushed.sku})[0],
            enqueue_outbound(priced, "prices", {"sku": priced.sku})[0],
        ]
    calls = _count_sync_calls(monkeypatch)

    counts = deliver_due_messages("hot")

    assert counts == {"delivered": 4}
    assert calls == [["kontor-prices", "kontor-stock"]]
    assert (shop_product("BATCH-1")["stock"], shop_product("BATCH-2")["stock"]) == (3, 6)
    assert shop_product("BATCH-NEW") is None
    assert len(shop_product("BATCH-3")["price"]) == 2
    remote_ids = [message.remote_id for message in type(messages[0]).objects.filter(pk__in=[m.pk for m in messages]).order_by("pk")]
    assert remote_ids == [mappers.product_id("BATCH-1"), mappers.product_id("BATCH-2"), "", mappers.product_id("BATCH-3")]


def test_stock_batch_item_rejected_fails_only_that_message(sandbox, connection, make_product):
    from integrations.services.batches import deliver_due_messages

    kept = make_product("BATCH-OK", on_hand=4)
    push_catalog(connection.pk)
    gone = ProductFactory(sku="BATCH-GONE")
    Binding.objects.create(connection=connection, content_type=ContentType.objects.get_for_model(gone), object_id=str(gone.pk), external_id="e" * 32)
    stock.record_on_hand(kept, kept.stock_levels.get().warehouse, 2)
    failed_message = _stock_message(gone)
    _stock_message(kept)

    counts = deliver_due_messages("hot")

    assert counts == {"delivered": 1, "failed": 1}
    assert shop_product("BATCH-OK")["stock"] == 2
    failed_message.refresh_from_db()
    assert failed_message.state == OutboundState.FAILED
    error = SyncError.objects.get(outbound_message=failed_message)
    assert error.code == "remote_rejected"
    assert "BATCH-GONE" in error.message


def test_stock_batch_server_error_retries_every_message(sandbox, connection, make_product):
    from integrations.services.batches import deliver_due_messages

    products = [make_product(f"BATCH-5XX-{index}", on_hand=index + 1) for index in range(3)]
    push_catalog(connection.pk)
    connection.connector.client(connection).token()
    for product in products:
        _stock_message(product)
    faults.update_faults("shopware", {"fail_next_requests": 1, "fail_next_status": 503})

    counts = deliver_due_messages("hot")

    assert counts == {"retry": 3}
    from integrations.models import OutboundMessage

    rows = OutboundMessage.objects.filter(entity="stock").values_list("state", "attempts", "error_code")
    assert set(rows) == {(OutboundState.PENDING, 1, "unavailable")}
    assert [shop_product(product.sku)["stock"] for product in products] == [1, 2, 3]


def test_push_run_counts_created_and_updated(sandbox, connection, make_product):
    from integrations.models import SyncRun

    make_product("COUNT-1")
    push_catalog(connection.pk)
    make_product("COUNT-2")

    push_catalog(connection.pk)

    first, second = SyncRun.objects.filter(connection=connection, entity="products").order_by("pk")
    assert first.created_count == 1
    assert first.updated_count == 0
    assert second.created_count == 1
    assert second.updated_count == 1
    assert second.read_count == 2
