"""Malformed events inside a batch: each fails on its own, the others are applied, nothing stalls."""

from decimal import Decimal

import pytest

from catalog.models import Channel
from catalog.services import stock
from integrations import tasks
from integrations.errors import Timeout
from integrations.models import InboundEvent, InboundState, SyncError
from integrations.registry import InboundItem
from integrations.retry import DELIVERY_POLICY
from integrations.services.inbox import process_inbound_batch, store_inbound_items
from integrations.shopware.connector import ShopwareConnector
from integrations.shopware.inbound import lock_stock_of_orders
from integrations.shopware.tasks import push_catalog
from orders.models import Order
from tests.breakbatch.helpers import (
    malformed,
    pending_ids,
    place,
    states_of,
    stock_level,
    store_placed,
    store_written,
)


@pytest.fixture
def shop(sandbox, connection, make_product):
    make_product("MAL-1", on_hand=50)
    make_product("MAL-2", on_hand=50)
    push_catalog(connection.pk)
    good = place(["MAL-1"])
    # Start from an empty inbox, so each test builds the batch it attacks.
    InboundEvent.objects.all().delete()
    return good


def broken_orders(good):
    first_line = good["lineItems"][0]
    return {
        "line items not a list": malformed(good, 1, lineItems={"not": "a list"}),
        "line item not a dict": malformed(good, 2, lineItems=["MAL-1"]),
        "line payload not a dict": malformed(good, 3, lineItems=[{**first_line, "payload": "MAL-1"}]),
        "product number not a string": malformed(good, 4, lineItems=[{**first_line, "payload": {"productNumber": 12345}}]),
        "product number unknown": malformed(good, 5, lineItems=[{**first_line, "payload": {"productNumber": "NO-SUCH-SKU"}}]),
        "quantity not a number": malformed(good, 6, lineItems=[{**first_line, "quantity": "many"}]),
    }


@pytest.mark.django_db(transaction=True)
def test_malformed_orders_fail_alone(shop, connection):
    good = shop
    broken = broken_orders(good)
    ids = [store_placed(connection, order) for order in broken.values()]
    good_id = store_placed(connection, good)
    # A payload that is not even a dict, stored as a provider could send it through a pull.
    list_id = store_inbound_items(
        connection, [InboundItem(entity="orders", external_id="list-payload", dedup_key="list-payload", payload=["not", "a", "dict"], event_type="checkout.order.placed")],
        source="webhook", queue=False,
    )[0]

    events = process_inbound_batch(ids[0])

    assert len(events) == len(ids) + 2
    states = states_of([*ids, good_id, list_id])
    assert states[good_id] == InboundState.PROCESSED
    for name, event_id in zip(broken, ids, strict=True):
        assert states[event_id] == InboundState.FAILED, name
        assert SyncError.objects.filter(inbound_event_id=event_id, resolved=False).exists(), name
    assert states[list_id] == InboundState.FAILED
    assert SyncError.objects.filter(inbound_event_id=list_id).exists()
    assert list(Order.objects.values_list("external_number", flat=True)) == [good["orderNumber"]]
    assert stock_level("MAL-1").reserved == Decimal(1)
    assert pending_ids() == []


def test_lock_hook_ignores_malformed_shapes(db, make_product, monkeypatch):
    wanted = make_product("MAL-1")
    make_product("MAL-2")
    orders = [
        None, "text", ["list"], {"lineItems": None}, {"lineItems": "MAL-2"}, {"lineItems": [None, 7, {"payload": None}]},
        {"lineItems": [{"payload": {"productNumber": ["MAL-2"]}}, {"payload": {"productNumber": {"sku": "MAL-2"}}}]},
        {"lineItems": [{"payload": {"productNumber": 1}}, {"payload": {"productNumber": ""}}]},
        {"lineItems": [{"payload": {"productNumber": "MAL-1"}}]},
    ]
    locked = []
    monkeypatch.setattr(stock, "lock_stock_levels", lambda product_ids: locked.append(sorted(product_ids)))

    lock_stock_of_orders(orders)

    # Only the product that an order names by a string is locked, once.
    assert locked == [[wanted.pk]]


@pytest.mark.django_db(transaction=True)
def test_failed_fetch_schedules_retry(shop, connection, monkeypatch):
    good = shop
    written_id = store_written(connection, "a" * 32, "evt-1")
    good_id = store_placed(connection, good)

    def failing_fetch(self, connection, order_id):
        raise Timeout("shop did not answer in time")

    monkeypatch.setattr(ShopwareConnector, "fetch_order", failing_fetch)

    process_inbound_batch(written_id)

    written = InboundEvent.objects.get(pk=written_id)
    assert written.state == InboundState.PENDING
    assert written.next_attempt_at is not None
    assert InboundEvent.objects.get(pk=good_id).state == InboundState.PROCESSED
    assert Order.objects.filter(external_number=good["orderNumber"]).count() == 1


@pytest.fixture
def fresh_channel_connection(connection):
    # A sales channel code that has no Channel row yet: the first order creates it.
    credentials = connection.credentials
    credentials["channel"] = "shopware-new"
    connection.set_credentials(credentials)
    connection.save()
    return connection


@pytest.mark.django_db(transaction=True)
def test_failed_first_order_keeps_channel(shop, fresh_channel_connection):
    connection = fresh_channel_connection
    good = shop
    bad_id = store_placed(connection, broken_orders(good)["product number unknown"])
    good_id = store_placed(connection, good)

    process_inbound_batch(bad_id)

    assert states_of([bad_id, good_id]) == {bad_id: InboundState.FAILED, good_id: InboundState.PROCESSED}
    order = Order.objects.get(external_number=good["orderNumber"])
    assert Channel.objects.filter(pk=order.channel_id, code="shopware-new").exists()


@pytest.mark.django_db(transaction=True)
def test_own_task_respects_scheduled_retry(shop, connection, monkeypatch):
    good = shop
    good_id = store_placed(connection, good)
    written_id = store_written(connection, "b" * 32, "evt-2")
    fetches = []

    def failing_fetch(self, connection, order_id):
        fetches.append(order_id)
        raise Timeout("shop did not answer in time")

    monkeypatch.setattr(ShopwareConnector, "fetch_order", failing_fetch)
    # The full jitter may draw a wait of a few milliseconds, which would be due again when the
    # task runs; the ceiling of the first wait (2 s) keeps the retry in the future.
    monkeypatch.setattr(DELIVERY_POLICY.rng, "uniform", lambda low, high: high)
    process_inbound_batch(good_id)
    scheduled = InboundEvent.objects.get(pk=written_id)
    assert scheduled.attempts == 1
    assert scheduled.next_attempt_at is not None

    # The written event's own task, queued when it was stored, runs a moment later.
    tasks.process_inbound_event(written_id)

    event = InboundEvent.objects.get(pk=written_id)
    assert event.attempts == 1
    assert event.next_attempt_at == scheduled.next_attempt_at
    assert fetches == ["b" * 32]


@pytest.mark.django_db
def test_zero_batch_size_rejected(shop, connection, settings):
    settings.INBOX_BATCH_SIZE = 0
    good_id = store_placed(connection, shop)

    with pytest.raises(ValueError, match="batch size is 0"):
        process_inbound_batch(good_id)

    assert InboundEvent.objects.get(pk=good_id).state == InboundState.PENDING
