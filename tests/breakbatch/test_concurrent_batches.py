"""Batches on several workers at once, in real PostgreSQL transactions: no order twice, no unit twice."""

import copy
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import OperationalError, transaction
from django.db import connection as db_connection
from django.utils import timezone

from catalog.models import Channel, Product, StockLevel, StockReservation
from catalog.services.stock import available_for_channel
from customers.models import Customer
from integrations import tasks
from integrations.models import (
    Connection,
    ConnectionEntity,
    Direction,
    InboundEvent,
    InboundState,
    OutboundMessage,
    SyncError,
)
from integrations.registry import Connector
from integrations.services import inbox
from integrations.services.bindings import bind
from integrations.services.cursors import run_delta_pull
from integrations.services.inbox import process_inbound_batch
from integrations.shopware.connector import ShopwareConnector
from integrations.shopware.tasks import push_catalog
from orders.models import Order
from tests.breakbatch.helpers import (
    pending_ids,
    place,
    process_batches_in_workers,
    run_in_threads,
    states_of,
    stock_level,
    store_placed,
    store_written,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queued(monkeypatch):
    """Record the processing tasks the inbox queues instead of sending them to the broker."""
    calls = []
    monkeypatch.setattr(inbox, "enqueue_on_commit", lambda path, event_id, lane: calls.append(event_id))
    return calls


def stock_figures(connection, sku):
    """Return the channel figures of the pending stock messages for `sku` to this shop, oldest first."""
    messages = OutboundMessage.objects.filter(connection=connection, entity="stock", state="pending").order_by("id")
    return [message.payload["channels"][connection.slug] for message in messages if message.payload["sku"] == sku]


def test_webhook_duplicate_and_pull_create_one_order(sandbox, connection, make_product, settings, queued):
    settings.INBOX_BATCH_SIZE = 3
    erp = Connection.objects.create(kind="odoo", name="Odoo", slug="odoo", base_url="http://testserver/sandbox/odoo")
    ConnectionEntity.objects.create(connection=erp, entity="orders", direction=Direction.OUT)
    make_product("ONCE-1", on_hand=100)
    make_product("ONCE-2", on_hand=100)
    push_catalog(connection.pk)
    orders = [place(["ONCE-1", "ONCE-2"], quantity=2) for _ in range(6)]
    # The shop's webhooks stored one event per order. The shop resends each, sends order.written
    # for each (a separate event that fetches the order), and a pull reads them all again.
    duplicates = [store_placed(connection, order) for order in orders]
    for index, order in enumerate(orders):
        store_written(connection, order["id"], f"evt-{index}")
    run_delta_pull(connection, "orders")
    ids = pending_ids()
    results = process_batches_in_workers(ids, workers=4)
    # Four workers inserting the same orders can deadlock. An event that loses every deadlock
    # retry waits for a later retry (DatabaseContention), and runs when the sweep finds it due.
    contended = InboundEvent.objects.filter(pk__in=ids, state=InboundState.PENDING)
    contended.update(next_attempt_at=timezone.now())
    for event_id in list(contended.values_list("pk", flat=True)):
        process_inbound_batch(event_id)

    assert not [result for result in results if isinstance(result, BaseException)]
    assert duplicates == [None] * len(orders)
    # The pulled orders have the webhook events' dedup keys, so only order.written adds events.
    assert len(ids) == 12
    assert set(states_of(ids).values()) == {InboundState.PROCESSED}
    assert Order.objects.count() == len(orders)
    assert sorted(Order.objects.values_list("external_number", flat=True)) == sorted(order["orderNumber"] for order in orders)
    assert StockReservation.objects.count() == 2 * len(orders)
    assert stock_level("ONCE-1").reserved == Decimal(12)
    assert stock_level("ONCE-2").reserved == Decimal(12)
    assert not SyncError.objects.filter(resolved=False).exists()
    # One ERP message per order, however often it arrived.
    erp_orders = OutboundMessage.objects.filter(connection=erp, entity="orders")
    assert sorted(erp_orders.values_list("object_id", flat=True)) == sorted(str(pk) for pk in Order.objects.values_list("pk", flat=True))


def test_last_unit_goes_to_one_order(sandbox, connection, make_product, settings, monkeypatch):
    settings.INBOX_BATCH_SIZE = 2
    make_product("LAST-1", on_hand=1)
    make_product("OTHER-1", on_hand=100)
    push_catalog(connection.pk)
    for skus in (["LAST-1"], ["OTHER-1"], ["LAST-1"], ["OTHER-1"]):
        place(skus)
    first, second, third, fourth = pending_ids()
    first_locked = threading.Event()
    second_entered = threading.Event()
    original_hook = ShopwareConnector.inbound_batch_started

    def synchronised_hook(self, connection, events):
        # The first batch goes on only once the second is in its hook, waiting for the first
        # batch's lock, so both batches hold their events at the same time.
        if events[0].pk == third:
            second_entered.set()
        original_hook(self, connection, events)
        if events[0].pk == first:
            first_locked.set()
            assert second_entered.wait(timeout=10)

    monkeypatch.setattr(ShopwareConnector, "inbound_batch_started", synchronised_hook)

    def second_worker():
        assert first_locked.wait(timeout=10)
        return process_inbound_batch(third)

    results = run_in_threads(lambda: process_inbound_batch(first), second_worker)

    assert [[event.pk for event in batch] for batch in results] == [[first, second], [third, fourth]]
    assert set(states_of([first, second, third, fourth]).values()) == {InboundState.PROCESSED}
    last_orders = Order.objects.filter(lines__sku="LAST-1").order_by("pk")
    assert [order.needs_attention for order in last_orders] == [False, True]
    level = stock_level("LAST-1")
    assert (level.on_hand, level.reserved) == (Decimal(1), Decimal(1))
    assert StockReservation.objects.filter(product__sku="LAST-1").count() == 1
    channel = Channel.objects.get(code=connection.slug)
    assert available_for_channel(Product.objects.get(sku="LAST-1"), channel) == Decimal(0)
    figures = stock_figures(connection, "LAST-1")
    assert figures
    assert set(figures) == {"0"}


def test_stock_messages_carry_ledger_figures(sandbox, connection, make_product, settings):
    settings.INBOX_BATCH_SIZE = 4
    skus = ["FIG-1", "FIG-2", "FIG-3"]
    for sku in skus:
        make_product(sku, on_hand=20)
    push_catalog(connection.pk)
    for index in range(12):
        place([skus[index % 3], skus[(index + 1) % 3]], quantity=1 + index % 2)
    ids = pending_ids()

    run_in_threads(*(lambda start=start: [process_inbound_batch(event_id) for event_id in ids[start::3]] for start in range(3)))

    assert pending_ids() == []
    channel = Channel.objects.get(code=connection.slug)
    for sku in skus:
        figure = available_for_channel(Product.objects.get(sku=sku), channel)
        figures = stock_figures(connection, sku)
        # Older messages may still be pending behind the newest, but the newest is the ledger's.
        assert figures, sku
        assert Decimal(figures[-1]) == figure, sku


class WorkerKilled(BaseException):
    """A worker process dying mid-batch: a BaseException, so no `except Exception` catches it."""


def test_killed_worker_commits_nothing(sandbox, connection, make_product, monkeypatch, queued):
    make_product("KILL-1", on_hand=100)
    push_catalog(connection.pk)
    for _ in range(4):
        place(["KILL-1"])
    ids = pending_ids()
    stock_messages = OutboundMessage.objects.filter(entity="stock").count()
    original = ShopwareConnector.process_inbound
    applied = []

    def dying(self, event):
        applied.append(event.pk)
        if len(applied) == 3:
            raise WorkerKilled()
        return original(self, event)

    # These orders would be created together by process_inbound_many, without process_inbound.
    # This test is about a failure between events applied one by one, so that path is switched
    # off. test_order_set_batches covers the same failure inside orders created together.
    monkeypatch.setattr(ShopwareConnector, "process_inbound_many", Connector.process_inbound_many)
    monkeypatch.setattr(ShopwareConnector, "process_inbound", dying)
    with pytest.raises(WorkerKilled):
        process_inbound_batch(ids[0])

    assert pending_ids() == ids
    assert set(InboundEvent.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {0}
    assert not Order.objects.exists()
    assert stock_level("KILL-1").reserved == Decimal(0)
    assert OutboundMessage.objects.filter(entity="stock").count() == stock_messages

    monkeypatch.setattr(ShopwareConnector, "process_inbound", original)
    assert inbox.requeue_due_inbound_events(now=timezone.now() + timedelta(minutes=2)) == len(ids)

    # The sweep queued every event; each task finds its event done or processes a batch.
    results = [tasks.process_inbound_event(event_id) for event_id in queued]

    assert results[0] == InboundState.PROCESSED
    assert set(states_of(ids).values()) == {InboundState.PROCESSED}
    assert set(InboundEvent.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {1}
    assert Order.objects.count() == 4
    assert stock_level("KILL-1").reserved == Decimal(4)


def test_closed_connection_mid_batch_commits_nothing(sandbox, connection, make_product, monkeypatch):
    make_product("DROP-1", on_hand=100)
    push_catalog(connection.pk)
    for _ in range(4):
        place(["DROP-1"])
    ids = pending_ids()
    original = ShopwareConnector.process_inbound
    applied = []

    def dropping(self, event):
        applied.append(event.pk)
        if len(applied) == 3:
            db_connection.close()
        return original(self, event)

    # These orders would be created together by process_inbound_many, without process_inbound.
    # This test is about a failure between events applied one by one, so that path is switched
    # off. test_order_set_batches covers the same failure inside orders created together.
    monkeypatch.setattr(ShopwareConnector, "process_inbound_many", Connector.process_inbound_many)
    monkeypatch.setattr(ShopwareConnector, "process_inbound", dropping)
    outcome = run_in_threads(lambda: process_inbound_batch(ids[0]))[0]

    assert isinstance(outcome, Exception)
    assert pending_ids() == ids
    assert not Order.objects.exists()
    assert stock_level("DROP-1").reserved == Decimal(0)

    monkeypatch.setattr(ShopwareConnector, "process_inbound", original)
    process_inbound_batch(ids[0])

    assert set(states_of(ids).values()) == {InboundState.PROCESSED}
    assert Order.objects.count() == 4


def test_fetched_orders_do_not_deadlock(sandbox, connection, make_product, settings, monkeypatch):
    settings.INBOX_BATCH_SIZE = 2
    make_product("DL-1", on_hand=100)
    make_product("DL-2", on_hand=100)
    push_catalog(connection.pk)
    first_order, second_order, third_order, fourth_order = (place([sku]) for sku in ("DL-1", "DL-2", "DL-2", "DL-1"))
    # All four orders are the same sandbox customer. Known and bound beforehand, it is only linked.
    # A new or unbound customer, or one whose names change, would make the second batch wait
    # on its rows for the first batch's commit, before the barrier that the test needs.
    buyer = first_order["orderCustomer"]
    customer = Customer.objects.create(email=buyer["email"], first_name=buyer["firstName"], last_name=buyer["lastName"], company=buyer.get("company") or "")
    bind(connection, customer, buyer["customerId"])
    InboundEvent.objects.all().delete()
    connector = ShopwareConnector()
    shop_orders = {order["id"]: connector.fetch_order(connection, order["id"]) for order in (second_order, fourth_order)}
    # Batch one: an order of DL-1, then a fetched order of DL-2. Batch two the other way round.
    first = store_placed(connection, first_order)
    second = store_written(connection, second_order["id"], "evt-2")
    third = store_placed(connection, third_order)
    fourth = store_written(connection, fourth_order["id"], "evt-4")
    first_fetching = threading.Event()
    barrier = threading.Barrier(2)
    waited = set()

    def fetch_when_both_hold_their_locks(self, connection, order_id):
        if order_id not in waited:
            waited.add(order_id)
            first_fetching.set()
            barrier.wait(timeout=10)
        return copy.deepcopy(shop_orders[order_id])

    monkeypatch.setattr(ShopwareConnector, "fetch_order", fetch_when_both_hold_their_locks)

    def second_worker():
        assert first_fetching.wait(timeout=10)
        return process_inbound_batch(third)

    results = run_in_threads(lambda: process_inbound_batch(first), second_worker)

    assert [[event.pk for event in batch] for batch in results] == [[first, second], [third, fourth]]
    # An order.written event reads its order inside the batch, so it locks its stock after the
    # hook did. A deadlock victim is not failed: its retry is scheduled, and it succeeds alone.
    assert not SyncError.objects.exists()
    waiting = [pk for pk, state in states_of([first, second, third, fourth]).items() if state == InboundState.PENDING]
    assert len(waiting) <= 1
    assert all(InboundEvent.objects.get(pk=pk).next_attempt_at is not None for pk in waiting)
    InboundEvent.objects.filter(pk__in=waiting).update(next_attempt_at=timezone.now())
    for pk in waiting:
        process_inbound_batch(pk)
    assert states_of([first, second, third, fourth]) == dict.fromkeys([first, second, third, fourth], InboundState.PROCESSED)
    assert Order.objects.count() == 4


def test_failed_event_keeps_hook_locks(sandbox, connection, make_product, monkeypatch):
    make_product("HELD-1", on_hand=10)
    make_product("HELD-2", on_hand=10)
    push_catalog(connection.pk)
    place(["HELD-1"])
    place(["HELD-2"])
    first, second = pending_ids()
    original = ShopwareConnector.process_inbound
    probes = []

    def probe_lock():
        # Another worker requests the level's lock without waiting, as a second batch's hook would.
        with transaction.atomic():
            return StockLevel.objects.select_for_update(nowait=True).filter(product__sku="HELD-1").exists()

    def failing_first(self, event):
        if event.pk == second:
            # The first event's reservation of HELD-1 was rolled back to its savepoint by now.
            probes.append(run_in_threads(probe_lock)[0])
        outcome = original(self, event)
        if event.pk == first:
            raise RuntimeError("bug after the reservation")
        return outcome

    # These orders would be created together by process_inbound_many, without process_inbound.
    # This test is about a failure between events applied one by one, so that path is switched
    # off. test_order_set_batches covers the same failure inside orders created together.
    monkeypatch.setattr(ShopwareConnector, "process_inbound_many", Connector.process_inbound_many)
    monkeypatch.setattr(ShopwareConnector, "process_inbound", failing_first)

    process_inbound_batch(first)

    assert states_of([first, second]) == {first: InboundState.FAILED, second: InboundState.PROCESSED}
    assert len(probes) == 1
    assert isinstance(probes[0], OperationalError)
    assert "could not obtain lock" in str(probes[0])
    assert stock_level("HELD-1").reserved == Decimal(0)
    assert stock_level("HELD-2").reserved == Decimal(1)
