"""Orders created together while other workers and sessions work on the same orders and stock.

Real PostgreSQL transactions on several connections: each order once, each unit once, and a
set that fails for concurrent work leaves nothing behind.
"""

import threading
import time
from decimal import Decimal

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import connection as db_connection
from django.utils import translation

from catalog.models import StockLevel, StockMovement, StockReservation
from customers.models import Customer
from integrations.models import (
    Binding,
    Connection,
    InboundEvent,
    InboundState,
    OutboundMessage,
    SyncError,
)
from integrations.services.bindings import bind
from integrations.services.inbox import process_inbound_batch, process_inbound_event
from integrations.shopware import inbound
from integrations.shopware.connector import ShopwareConnector
from integrations.shopware.tasks import push_catalog
from orders.models import Order, OrderStatusChange
from orders.services import create_orders
from tests.breakbatch.helpers import (
    backend_waits_for_lock,
    pending_ids,
    place,
    process_batches_in_workers,
    run_in_threads,
    stock_level,
    store_placed,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SHORT_EN = "Stock could not be reserved: {sku}: 1 ordered, 0 available. Check stock or contact the customer."
SHORT_DE = "Bestand konnte nicht reserviert werden: {sku}: 1 bestellt, 0 verfügbar. Prüfen Sie den Bestand oder kontaktieren Sie den Kunden."


@pytest.fixture
def second_connection(connection, channel):
    """A second Shopware connection to the same sandbox shop, with its own channel."""
    from catalog.models import Channel

    Channel.objects.create(code="shopware-at", name="Shopware AT", currencies=["EUR"])
    other = Connection(kind="shopware", name="Shopware AT", slug="shopware-at", base_url=connection.base_url)
    other.set_credentials(connection.credentials)
    other.save()
    return other


def assert_ledger_consistent():
    """Assert 0 <= reserved <= on-hand on every level, and that reserved is the sum of its open reservations."""
    for level in StockLevel.objects.select_related("product", "warehouse"):
        assert Decimal(0) <= level.reserved <= level.on_hand, level
        open_reserved = sum(
            StockReservation.objects.filter(product=level.product, warehouse=level.warehouse, state="open").values_list("quantity", flat=True),
            Decimal(0),
        )
        assert open_reserved == level.reserved, level


def assert_each_order_once(erp):
    """Assert that every order has lines, a binding, one first history row and exactly one ERP message."""
    for order in Order.objects.all():
        assert order.lines.exists(), order
        assert Binding.objects.filter(content_type__model="order", object_id=str(order.pk)).count() == 1, order
        assert OrderStatusChange.objects.filter(order=order, from_status="").count() == 1, order
        assert OutboundMessage.objects.filter(connection=erp, entity="orders", object_id=str(order.pk)).count() == 1, order
    assert not StockReservation.objects.exclude(order_line__order__in=Order.objects.all()).exists()
    assert OutboundMessage.objects.filter(connection=erp, entity="orders").count() == Order.objects.count()
    for event in InboundEvent.objects.filter(state=InboundState.PROCESSED, outcome="created"):
        assert Binding.objects.filter(content_type__model="order", external_id=event.external_id).exists(), event


def assert_flagged_short(order, sku):
    assert order.needs_attention is True
    assert order.attention_note == SHORT_EN.format(sku=sku)
    with translation.override("de"):
        assert order.localized_attention_note() == SHORT_DE.format(sku=sku)
    assert not StockReservation.objects.filter(order_line__order=order).exists()


def synchronised_batches(monkeypatch, first_anchor):
    """Make the batch of `first_anchor` wait in its set until another batch has entered its hook."""
    first_in_set = threading.Event()
    other_in_hook = threading.Event()
    original_hook = ShopwareConnector.inbound_batch_started
    original_create = inbound.create_orders

    def hook(self, connection, events):
        if events[0].pk != first_anchor:
            assert first_in_set.wait(timeout=10)
            other_in_hook.set()
        original_hook(self, connection, events)

    def creating(datas, *, actor):
        results = original_create(datas, actor=actor)
        if actor.endswith(first_anchor_slug[0]) and not first_in_set.is_set():
            first_in_set.set()
            assert other_in_hook.wait(timeout=10)
        return results

    first_anchor_slug = [""]
    monkeypatch.setattr(ShopwareConnector, "inbound_batch_started", hook)
    monkeypatch.setattr(inbound, "create_orders", creating)
    return first_anchor_slug


def test_last_unit_across_two_connections(sandbox, connection, second_connection, make_product, erp, settings, monkeypatch):
    make_product("LAST-X", on_hand=1)
    push_catalog(connection.pk)
    first = place(["LAST-X"])
    second = place(["LAST-X"])
    InboundEvent.objects.all().delete()
    first_id = store_placed(connection, first)
    second_id = store_placed(second_connection, second)
    slug = synchronised_batches(monkeypatch, first_id)
    slug[0] = connection.slug

    results = run_in_threads(lambda: process_inbound_batch(first_id), lambda: process_inbound_batch(second_id))

    assert not [result for result in results if isinstance(result, BaseException)], results
    assert [[event.outcome for event in batch] for batch in results] == [["created"], ["created"]]
    level = stock_level("LAST-X")
    assert (level.on_hand, level.reserved) == (Decimal(1), Decimal(1))
    winner = Order.objects.get(channel__code=connection.slug)
    assert winner.needs_attention is False
    assert_flagged_short(Order.objects.get(channel__code="shopware-at"), "LAST-X")
    assert_each_order_once(erp)
    assert_ledger_consistent()


def test_last_unit_between_set_and_single_event(sandbox, connection, make_product, erp, monkeypatch):
    make_product("LAST-Y", on_hand=1)
    push_catalog(connection.pk)
    place(["LAST-Y"])
    place(["LAST-Y"])
    first_id, second_id = pending_ids()
    in_set = threading.Event()
    original_create = inbound.create_orders

    def creating(datas, *, actor):
        results = original_create(datas, actor=actor)
        in_set.set()
        # Held until the single event waits for the stock level the set has locked.
        threading.Event().wait(0.5)
        return results

    monkeypatch.setattr(inbound, "create_orders", creating)

    def single():
        assert in_set.wait(timeout=10)
        return process_inbound_event(second_id)

    results = run_in_threads(lambda: process_inbound_batch(first_id, limit=1), single)

    assert not [result for result in results if isinstance(result, BaseException)], results
    assert results[1].outcome == "created"
    level = stock_level("LAST-Y")
    assert (level.on_hand, level.reserved) == (Decimal(1), Decimal(1))
    orders = list(Order.objects.order_by("pk"))
    assert [order.needs_attention for order in orders] == [False, True]
    assert_flagged_short(orders[1], "LAST-Y")
    assert_each_order_once(erp)
    assert_ledger_consistent()


def test_overlapping_workers_bigger_than_batch(sandbox, connection, make_product, erp, settings):
    settings.INBOX_BATCH_SIZE = 3
    make_product("OVL-1", on_hand=7)
    make_product("OVL-2", on_hand=5)
    make_product("OVL-3", on_hand=100)
    push_catalog(connection.pk)
    orders = []
    for index in range(20):
        skus = [["OVL-1"], ["OVL-2", "OVL-1"], ["OVL-3"], ["OVL-2", "OVL-2"]][index % 4]
        orders.append(place(skus, quantity=1 + index % 3))
    # Resent webhooks: the same orders again as newer versions.
    for order in orders[:5]:
        store_placed(connection, {**order, "updatedAt": "2026-04-04T00:00:00.000+00:00"})
    ids = pending_ids()
    results = process_batches_in_workers(ids, workers=4)

    assert not [result for result in results if isinstance(result, BaseException)], results
    assert pending_ids() == []
    assert sorted(Order.objects.values_list("external_number", flat=True)) == sorted(order["orderNumber"] for order in orders)
    assert sorted(InboundEvent.objects.values_list("outcome", flat=True)) == sorted(["created"] * 20 + ["skipped"] * 5)
    assert not SyncError.objects.exists()
    assert_each_order_once(erp)
    assert_ledger_consistent()
    # Each product of an order, its lines added up, is reserved in full or not at all, and an
    # order is flagged exactly when one of its products is short.
    for order in Order.objects.prefetch_related("lines"):
        demand, reserved = {}, {}
        for line in order.lines.all():
            demand[line.sku] = demand.get(line.sku, Decimal(0)) + line.quantity
        for sku, quantity in StockReservation.objects.filter(order_line__order=order).values_list("product__sku", "quantity"):
            reserved[sku] = reserved.get(sku, Decimal(0)) + quantity
        short = {sku for sku in demand if reserved.get(sku) != demand[sku]}
        assert all(sku not in reserved for sku in short), order
        assert order.needs_attention is bool(short), order


def test_deadlock_in_set_falls_back(sandbox, connection, second_connection, make_product, erp, monkeypatch, caplog):
    make_product("DL-1", on_hand=10)
    make_product("DL-2", on_hand=10)
    push_catalog(connection.pk)
    first = place(["DL-1"])
    second = place(["DL-2"])
    # Both orders are the same sandbox customer. Known and bound beforehand, it is only linked.
    # A new or unbound customer, or one whose names change, would make the second set wait
    # on its rows for the first set's commit, before the barrier that makes the deadlock.
    buyer = first["orderCustomer"]
    customer = Customer.objects.create(email=buyer["email"], first_name=buyer["firstName"], last_name=buyer["lastName"], company=buyer.get("company") or "")
    bind(connection, customer, buyer["customerId"])
    bind(second_connection, customer, buyer["customerId"])
    InboundEvent.objects.all().delete()
    first_id = store_placed(connection, first)
    second_id = store_placed(second_connection, second)
    both_in_set = threading.Barrier(2)
    original_create = inbound.create_orders

    def crossing(datas, *, actor):
        # Each set has locked its own product's level in the batch hook and then requests the other's.
        results = original_create(datas, actor=actor)
        both_in_set.wait(timeout=10)
        other = "DL-2" if datas[0].lines[0].sku == "DL-1" else "DL-1"
        list(StockLevel.objects.select_for_update().filter(product__sku=other))
        return results

    monkeypatch.setattr(inbound, "create_orders", crossing)
    results = run_in_threads(lambda: process_inbound_batch(first_id), lambda: process_inbound_batch(second_id))

    assert not [result for result in results if isinstance(result, BaseException)], results
    assert [[event.outcome for event in batch] for batch in results] == [["created"], ["created"]]
    assert Order.objects.count() == 2
    assert (stock_level("DL-1").reserved, stock_level("DL-2").reserved) == (Decimal(1), Decimal(1))
    assert StockMovement.objects.filter(reason="reservation").count() == 2
    assert_each_order_once(erp)
    assert_ledger_consistent()
    fallbacks = [record for record in caplog.records if record.message == "inbound events not applied together, applying them one by one"]
    assert len(fallbacks) == 1
    assert (fallbacks[0].levelname, fallbacks[0].error) == ("WARNING", "OperationalError")
    assert fallbacks[0].inbound_event_ids in ([first_id], [second_id])


def test_terminated_session_in_set_commits_nothing(sandbox, connection, make_product, erp, monkeypatch, caplog):
    make_product("TERM-1", on_hand=100)
    push_catalog(connection.pk)
    for _ in range(3):
        place(["TERM-1"])
    ids = pending_ids()
    stock_messages = OutboundMessage.objects.filter(entity="stock").count()

    def terminated(datas, *, actor):
        results = create_orders(datas, actor=actor)
        terminate_own_session()
        return results

    monkeypatch.setattr(inbound, "create_orders", terminated)
    [outcome] = run_in_threads(lambda: process_inbound_batch(ids[0]))

    assert isinstance(outcome, Exception)
    assert pending_ids() == ids
    assert set(InboundEvent.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {0}
    assert not Order.objects.exists()
    assert stock_level("TERM-1").reserved == Decimal(0)
    assert OutboundMessage.objects.filter(entity="stock").count() == stock_messages
    assert not SyncError.objects.exists()
    # No event is reported as failed for a connection that is gone; one line names the batch.
    assert not [record for record in caplog.records if record.message == "inbound event failed"]
    lost = [record for record in caplog.records if "inbound_event_ids" in record.__dict__]
    assert len(lost) == 1, [record.message for record in lost]
    assert lost[0].inbound_event_ids == ids

    monkeypatch.setattr(inbound, "create_orders", create_orders)
    events = process_inbound_batch(ids[0])

    assert [(event.state, event.outcome, event.attempts) for event in events] == [(InboundState.PROCESSED, "created", 1)] * 3
    assert stock_level("TERM-1").reserved == Decimal(3)
    assert_each_order_once(erp)


def terminate_own_session():
    """End this thread's database session from another session, as an administrator or a failover would."""
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [pid] = cursor.fetchone()
    database = db_connection.settings_dict
    with psycopg.connect(host=database["HOST"], port=database["PORT"], user=database["USER"], dbname=database["NAME"], autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_terminated_session_in_batch_hook(sandbox, connection, make_product, erp, monkeypatch, caplog):
    make_product("TERM-2", on_hand=100)
    push_catalog(connection.pk)
    for _ in range(2):
        place(["TERM-2"])
    ids = pending_ids()
    original_hook = ShopwareConnector.inbound_batch_started

    def terminating_hook(self, connection, events):
        original_hook(self, connection, events)
        terminate_own_session()

    monkeypatch.setattr(ShopwareConnector, "inbound_batch_started", terminating_hook)
    [outcome] = run_in_threads(lambda: process_inbound_batch(ids[0]))

    assert isinstance(outcome, Exception)
    assert pending_ids() == ids
    assert not Order.objects.exists()
    assert not SyncError.objects.exists()
    lost = [record for record in caplog.records if "inbound_event_ids" in record.__dict__]
    assert [record.message for record in lost] == ["inbound batch lost its database connection; its events stay pending"]
    assert lost[0].inbound_event_ids == ids


def test_no_secrets_in_fallback_logs(sandbox, connection, make_product, monkeypatch, caplog):
    make_product("LOG-1", on_hand=10)
    push_catalog(connection.pk)
    for _ in range(2):
        place(["LOG-1"])
    ids = pending_ids()

    def failing(datas, *, actor):
        raise RuntimeError("bug in the set")

    monkeypatch.setattr(inbound, "create_orders", failing)
    process_inbound_batch(ids[0])

    [record] = [record for record in caplog.records if record.message == "inbound events not applied together, applying them one by one"]
    assert record.levelname == "ERROR"
    assert (record.connection_id, record.inbound_event_ids) == (connection.pk, ids)
    text = caplog.text + " ".join(str(record.__dict__) for record in caplog.records)
    for secret in (connection.credentials["secret_access_key"], connection.credentials["shop_secret"], django_settings.SECRET_KEY * 3):
        assert secret not in text
    assert Order.objects.count() == 2


def test_same_number_on_two_connections_of_one_channel(sandbox, connection, channel, make_product, erp, monkeypatch, caplog):
    make_product("TWIN-1", on_hand=5)
    make_product("TWIN-2", on_hand=5)
    push_catalog(connection.pk)
    twin = Connection(kind="shopware", name="Shopware DE twin", slug="shopware-de-twin", base_url=connection.base_url)
    twin.set_credentials({**connection.credentials, "channel": channel.code})
    twin.save()
    placed = place(["TWIN-1"])
    # The twin connection reports the same order number with another product, so the two batch
    # hooks lock different stock levels. The second set then waits for the first one's order
    # on the unique index of channel and number, not in its hook.
    other = {**placed, "lineItems": [{**item, "payload": {**item["payload"], "productNumber": "TWIN-2"}} for item in placed["lineItems"]]}
    InboundEvent.objects.all().delete()
    first_id = store_placed(connection, placed)
    twin_id = store_placed(twin, other)
    twin_pid = []
    original_create = inbound.create_orders

    def creating(datas, *, actor):
        if actor.endswith("twin"):
            with db_connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                twin_pid.append(cursor.fetchone()[0])
            return original_create(datas, actor=actor)
        results = original_create(datas, actor=actor)
        twin_thread.start()
        deadline = time.monotonic() + 10
        while not (twin_pid and backend_waits_for_lock(twin_pid[0])):
            assert time.monotonic() < deadline, "the twin batch never waited for the first batch's order"
            time.sleep(0.02)
        return results

    monkeypatch.setattr(inbound, "create_orders", creating)
    twin_results = []
    twin_thread = threading.Thread(target=lambda: twin_results.extend(run_in_threads(lambda: process_inbound_batch(twin_id))))
    first = process_inbound_batch(first_id)
    twin_thread.join(timeout=30)

    assert [event.outcome for event in first] == ["created"]
    assert [[event.outcome for event in batch] for batch in twin_results] == [["skipped"]]
    order = Order.objects.get()
    assert order.lines.get().sku == "TWIN-1"
    assert (stock_level("TWIN-1").reserved, stock_level("TWIN-2").reserved) == (Decimal(1), Decimal(0))
    assert sorted(Binding.objects.filter(content_type__model="order").values_list("connection__slug", flat=True)) == ["shopware-de", "shopware-de-twin"]
    assert OutboundMessage.objects.filter(connection=erp, entity="orders").count() == 1
    assert_ledger_consistent()
    [fallback] = [record for record in caplog.records if record.message == "inbound events not applied together, applying them one by one"]
    assert (fallback.levelname, fallback.error, fallback.inbound_event_ids) == ("WARNING", "IntegrityError", [twin_id])
