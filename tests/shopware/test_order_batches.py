"""Shop orders applied in batches: one transaction for many inbox events, each event on its own."""

import copy
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import OperationalError, transaction
from django.db import connection as db_connection
from django.utils import timezone

from catalog.models import StockLevel
from catalog.services import stock
from integrations.models import Connection, InboundEvent, InboundState, OutboundMessage, SyncError
from integrations.sandbox import store
from integrations.sandbox.shopware.orders import PlacedLine, place_order
from integrations.services.inbox import process_inbound_batch, store_inbound_items
from integrations.shopware import webhooks
from integrations.shopware.connector import ShopwareConnector
from integrations.shopware.inbound import lock_stock_of_orders
from integrations.shopware.tasks import push_catalog
from orders.models import Order

pytestmark = pytest.mark.django_db


def place(skus, quantity=2):
    products = [store.find_by_natural_key("shopware", "product", sku).data for sku in skus]
    return place_order(
        [PlacedLine(product=product, quantity=quantity, unit_gross=Decimal("11.90")) for product in products],
        customer_number="17850", country_iso="GB", placed_at=timezone.now(),
    )


def pending_ids():
    return list(InboundEvent.objects.filter(state=InboundState.PENDING).order_by("id").values_list("pk", flat=True))


def reserved(sku):
    return StockLevel.objects.get(product__sku=sku).reserved


@pytest.fixture
def shop(sandbox, connection, make_product, django_capture_on_commit_callbacks):
    """Two products with 100 units each in the shop; `place_orders` leaves their inbox events pending."""
    make_product("BATCH-1", on_hand=100)
    make_product("BATCH-2", on_hand=100)
    push_catalog(connection.pk)

    def place_orders(*sku_lists):
        # The shop posts its webhooks after commit; their processing tasks go to a queue that no
        # worker reads here.
        with django_capture_on_commit_callbacks(execute=True):
            return [place(skus) for skus in sku_lists]

    return place_orders


def test_batch_applies_every_pending_order_once(shop, connection):
    placed = shop(["BATCH-1"], ["BATCH-1", "BATCH-2"], ["BATCH-2"])
    first, *others = pending_ids()

    events = process_inbound_batch(first)

    assert [event.pk for event in events] == [first, *others]
    assert {event.state for event in InboundEvent.objects.filter(pk__in=[first, *others])} == {InboundState.PROCESSED}
    assert sorted(Order.objects.values_list("external_number", flat=True)) == sorted(order["orderNumber"] for order in placed)
    assert (reserved("BATCH-1"), reserved("BATCH-2")) == (Decimal(4), Decimal(4))
    # One stock message per product, with the figure after all three orders.
    messages = OutboundMessage.objects.filter(connection=connection, entity="stock", state="pending")
    assert sorted((message.payload["sku"], message.payload["channels"][connection.slug]) for message in messages) == [
        ("BATCH-1", "96"), ("BATCH-2", "96"),
    ]
    # The other events' own tasks find nothing left to do.
    assert process_inbound_batch(others[0]) == []


def test_batch_skips_retries_and_other_connections(shop, connection):
    shop(["BATCH-1"], ["BATCH-1"])
    first, waiting = pending_ids()
    InboundEvent.objects.filter(pk=waiting).update(next_attempt_at=timezone.now() + timedelta(minutes=5))
    other = Connection.objects.create(kind="shopware", name="Shopware AT", slug="shopware-at", base_url="http://testserver/sandbox/shopware")
    foreign = InboundEvent.objects.get(pk=first)
    foreign.pk = None
    foreign.connection = other
    foreign.save()

    events = process_inbound_batch(first)

    assert [event.pk for event in events] == [first]
    assert set(InboundEvent.objects.filter(state=InboundState.PENDING).values_list("pk", flat=True)) == {waiting, foreign.pk}


def test_batch_takes_at_most_the_batch_size(shop, settings):
    settings.INBOX_BATCH_SIZE = 2
    shop(["BATCH-1"], ["BATCH-1"], ["BATCH-1"])
    first, second, third = pending_ids()

    events = process_inbound_batch(first)

    assert [event.pk for event in events] == [first, second]
    assert pending_ids() == [third]


def test_failed_order_keeps_the_others(shop, connection):
    good, bad_source = shop(["BATCH-1"], ["BATCH-2"])
    bad = copy.deepcopy(bad_source)
    bad["id"] = "f" * 32
    bad["orderNumber"] = "BAD-1"
    bad["lineItems"][0]["payload"]["productNumber"] = "NO-SUCH-SKU"
    store_inbound_items(connection, webhooks.parse(webhook_body(bad)), source="webhook", queue=False)
    ids = pending_ids()

    process_inbound_batch(ids[0])

    states = dict(InboundEvent.objects.filter(pk__in=ids).values_list("external_id", "state"))
    assert states == {good["id"]: InboundState.PROCESSED, bad_source["id"]: InboundState.PROCESSED, bad["id"]: InboundState.FAILED}
    assert not Order.objects.filter(external_number="BAD-1").exists()
    error = SyncError.objects.get(inbound_event__external_id=bad["id"])
    assert "NO-SUCH-SKU" in error.message
    assert (reserved("BATCH-1"), reserved("BATCH-2")) == (Decimal(2), Decimal(2))


def test_failing_hook_still_applies_events(shop, monkeypatch, caplog):
    shop(["BATCH-1"], ["BATCH-2"])
    first, second = pending_ids()

    def broken_hook(self, connection, events):
        raise RuntimeError("hook broke")

    monkeypatch.setattr(ShopwareConnector, "inbound_batch_started", broken_hook)

    events = process_inbound_batch(first)

    assert [(event.pk, event.state) for event in events] == [(first, InboundState.PROCESSED), (second, InboundState.PROCESSED)]
    assert "inbound batch hook failed" in caplog.text


def test_batch_locks_all_products_first(shop, monkeypatch):
    shop(["BATCH-2"], ["BATCH-1"])
    first, _second = pending_ids()
    locked = []
    original = stock.lock_stock_levels

    def recording(product_ids):
        levels = original(product_ids)
        locked.append(sorted(level.product.sku for level in levels))
        return levels

    monkeypatch.setattr(stock, "lock_stock_levels", recording)

    process_inbound_batch(first)

    assert locked[0] == ["BATCH-1", "BATCH-2"]


def webhook_body(order):
    import json

    return json.dumps({"data": {"event": "checkout.order.placed", "payload": {"order": order}}, "source": {}}).encode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_lock_covers_every_order(sandbox, connection, make_product):
    make_product("BATCH-1", on_hand=100)
    make_product("BATCH-2", on_hand=100)
    push_catalog(connection.pk)
    orders = [place(["BATCH-1"]), place(["BATCH-2"])]
    outcome = {}

    def try_second_product():
        try:
            with transaction.atomic():
                StockLevel.objects.select_for_update(nowait=True).filter(product__sku="BATCH-2").exists()
            outcome["second"] = "free"
        except OperationalError:
            outcome["second"] = "locked"
        finally:
            db_connection.close()

    with transaction.atomic():
        lock_stock_of_orders(orders)
        thread = threading.Thread(target=try_second_product)
        thread.start()
        thread.join(timeout=30)

    assert outcome == {"second": "locked"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_all_succeed(sandbox, connection, make_product, settings):
    settings.INBOX_BATCH_SIZE = 5
    make_product("BATCH-1", on_hand=1000)
    make_product("BATCH-2", on_hand=1000)
    make_product("BATCH-3", on_hand=1000)
    push_catalog(connection.pk)
    orderings = (["BATCH-1", "BATCH-2"], ["BATCH-3", "BATCH-1"], ["BATCH-2", "BATCH-3"])
    for index in range(20):
        place(orderings[index % 3], quantity=1)
    ids = pending_ids()
    barrier = threading.Barrier(4)

    def work(start):
        try:
            barrier.wait(timeout=10)
            for event_id in ids[start::4]:
                process_inbound_batch(event_id)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=work, args=(start,)) for start in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert set(InboundEvent.objects.filter(pk__in=ids).values_list("state", flat=True)) == {InboundState.PROCESSED}
    assert Order.objects.count() == 20
    # 20 orders of two lines of one unit each.
    assert sum(level.reserved for level in StockLevel.objects.all()) == Decimal(40)
