"""New shop orders of a batch created together: the same result as one by one, with fewer statements.

Each comparison runs the same pending events twice, once as one batch and once one event at a
time, each run rolled back after its state was read, and compares every row the runs wrote,
the customers of the orders included.
"""

import copy
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone, translation

from catalog.models import Product, StockLevel, StockMovement, StockReservation, Warehouse
from catalog.services import stock
from customers.models import Customer
from integrations.models import (
    Binding,
    Conflict,
    Connection,
    ConnectionEntity,
    Direction,
    InboundEvent,
    InboundState,
    LeadingSystemRule,
    OutboundMessage,
    SyncError,
)
from integrations.sandbox import store
from integrations.sandbox.shopware.orders import PlacedLine, apply_transition, place_order
from integrations.services import inbox
from integrations.services.inbox import process_inbound_batch, process_inbound_event
from integrations.shopware import inbound, order_mapper, webhooks
from integrations.shopware.connector import ShopwareConnector
from integrations.shopware.tasks import push_catalog
from orders.models import Order, OrderAddress, OrderLine, OrderStatusChange, TaxLine
from orders.services import create_order, create_orders
from tests.breakbatch.helpers import (
    backend_waits_for_lock,
    malformed,
    pending_ids,
    place,
    run_in_threads,
    store_placed,
    store_written,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def erp():
    """An ERP connection that receives orders, so every new order queues an outbound message."""
    erp = Connection.objects.create(kind="odoo", name="Odoo", slug="odoo", base_url="http://testserver/sandbox/odoo")
    ConnectionEntity.objects.create(connection=erp, entity="orders", direction=Direction.OUT)
    return erp


@pytest.fixture
def shop(sandbox, connection, make_product, erp, settings, django_capture_on_commit_callbacks):
    """Products SET-1 (5 units), SET-2 (4) and SET-3 (4) in the shop; `act` stores the webhooks of shop actions."""
    settings.INBOX_BATCH_SIZE = 50
    make_product("SET-1", on_hand=5)
    make_product("SET-2", on_hand=4)
    make_product("SET-3", on_hand=4)
    push_catalog(connection.pk)

    def act(action):
        # The shop posts its webhooks after commit; their processing tasks go to a queue that no
        # worker reads here.
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return act


def with_version(order, version):
    """Return a copy of a shop order with another updatedAt, which the inbox stores as a new event."""
    copied = copy.deepcopy(order)
    copied["updatedAt"] = version
    return copied


def state_after(run, calls):
    """Run `run()` in a transaction that is rolled back; return everything it left, by natural keys.

    `calls` collects the events that went through ShopwareConnector.process_inbound in the run.
    """
    calls.clear()
    with transaction.atomic():
        run()
        state = snapshot()
        state["one_by_one"] = sorted(calls)
        transaction.set_rollback(True)
    return state


def snapshot():
    number_of = dict(Order.objects.values_list("pk", "external_number"))
    # Guests share emails, but no guest is bound or in a conflict, so the email names a customer there.
    email_of = dict(Customer.objects.values_list("pk", "email"))
    return {
        "orders": sorted(
            Order.objects.values_list(
                "external_number", "status", "needs_attention", "attention_note", "attention_note_translations", "currency",
                "total_net", "total_tax", "total_gross", "shipping_gross", "email", "connection__slug", "channel__code",
                "customer__email", "customer__is_guest",
            )
        ),
        "customers": sorted(Customer.objects.values_list("email", "is_guest", "first_name", "last_name", "company", "vat_number")),
        "customer_bindings": sorted(
            (slug, external_id, email_of[int(object_id)])
            for slug, external_id, object_id in Binding.objects.filter(content_type__model="customer").values_list(
                "connection__slug", "external_id", "object_id"
            )
        ),
        "conflicts": sorted(
            (slug, email_of[int(object_id)], field, current, incoming, leader)
            for slug, object_id, field, current, incoming, leader in Conflict.objects.filter(content_type__model="customer").values_list(
                "connection__slug", "object_id", "field", "current_value", "incoming_value", "leading_connection__slug"
            )
        ),
        "lines": sorted(
            OrderLine.objects.values_list(
                "order__external_number", "position", "sku", "product__sku", "name", "external_id", "quantity", "unit_price",
                "tax_rate", "total_net", "total_tax", "total_gross", "discount",
            )
        ),
        "tax_lines": sorted(TaxLine.objects.values_list("order__external_number", "rate", "net", "tax", "label")),
        "addresses": sorted(OrderAddress.objects.values_list("order__external_number", "kind", "street", "city", "country", "postal_code")),
        "history": sorted(
            OrderStatusChange.objects.values_list(
                "order__external_number", "from_status", "to_status", "applied", "actor", "connection__slug", "note", "note_translations",
            )
        ),
        "reservations": sorted(
            StockReservation.objects.values_list(
                "order_line__order__external_number", "order_line__position", "product__sku", "warehouse__code", "quantity", "state", "release_reason",
            )
        ),
        "levels": sorted(StockLevel.objects.values_list("product__sku", "warehouse__code", "on_hand", "reserved")),
        "movements": sorted(
            StockMovement.objects.values_list("product__sku", "warehouse__code", "on_hand_delta", "reserved_delta", "reason", "reference")
        ),
        "sync_errors": sorted(SyncError.objects.values_list("entity", "external_id", "code", "message", "resolved", "attempts")),
        "bindings": sorted(
            (external_id, number_of[int(object_id)])
            for external_id, object_id in Binding.objects.filter(content_type__model="order").values_list("external_id", "object_id")
        ),
        "order_messages": sorted(
            (slug, state, payload.get("number"), payload.get("order_id") == int(object_id) and number_of[int(object_id)] == payload.get("number"))
            for slug, state, payload, object_id in OutboundMessage.objects.filter(entity="orders").values_list(
                "connection__slug", "state", "payload", "object_id"
            )
        ),
        "stock_messages": sorted(
            (slug, payload["sku"], sorted(payload.items()))
            for slug, payload in OutboundMessage.objects.filter(entity="stock", state="pending").values_list("connection__slug", "payload")
        ),
        "events": sorted(InboundEvent.objects.values_list("dedup_key", "state", "outcome", "attempts", "error")),
    }


@pytest.fixture
def per_event_calls(monkeypatch):
    """Record the events that go through ShopwareConnector.process_inbound."""
    calls = []
    original = ShopwareConnector.process_inbound

    def recording(self, event):
        calls.append(event.pk)
        return original(self, event)

    monkeypatch.setattr(ShopwareConnector, "process_inbound", recording)
    return calls


def run_batch(ids):
    return lambda: process_inbound_batch(ids[0])


def run_one_by_one(ids):
    return lambda: [process_inbound_event(event_id) for event_id in ids]


def test_mixed_batch_matches_one_by_one(shop, connection, per_event_calls):
    known = shop(lambda: place(["SET-3"], quantity=1))
    process_inbound_event(pending_ids()[0])
    first = shop(lambda: place(["SET-1", "SET-2"], quantity=1))
    unknown_sku = malformed(first, 1)
    unknown_sku["lineItems"][0]["payload"]["productNumber"] = "NOT-IN-CATALOG"
    bad_totals = malformed(first, 2, amountTotal=999.99)
    second = shop(lambda: place(["SET-2"], quantity=2))
    cancelled_later = shop(lambda: place(["SET-3"], quantity=1))
    takes_last_of_set_1 = shop(lambda: place(["SET-1"], quantity=4))
    short = shop(lambda: place(["SET-1"], quantity=1))
    ids_so_far = pending_ids()
    store_placed(connection, unknown_sku)
    store_placed(connection, bad_totals)
    store_placed(connection, with_version(first, "2026-01-01T00:00:00.000+00:00"))
    store_placed(connection, with_version(known, "2026-01-01T00:00:00.000+00:00"))
    shop(lambda: apply_transition("order", cancelled_later["id"], "cancel"))
    # The cancellations release SET-3 again. The later SET-3 order needs those units, so it
    # must not be created before them.
    arrived_cancelled = malformed(cancelled_later, 3, stateMachineState={**cancelled_later["stateMachineState"], "technicalName": "cancelled"})
    store_placed(connection, arrived_cancelled)
    after_cancelled = shop(lambda: place(["SET-3"], quantity=3))
    fetched = shop(lambda: place(["SET-2"], quantity=1))
    InboundEvent.objects.filter(external_id=fetched["id"]).delete()
    store_written(connection, fetched["id"], "evt-fetched")
    # The fetched order takes the last SET-2, so the order after it is short.
    after_fetch = shop(lambda: place(["SET-2"], quantity=1))
    ids = pending_ids()
    assert ids[: len(ids_so_far)] == ids_so_far

    in_batch = state_after(run_batch(ids), per_event_calls)
    one_by_one = state_after(run_one_by_one(ids), per_event_calls)

    for key in in_batch.keys() - {"one_by_one"}:
        assert in_batch[key] == one_by_one[key], key
    # Created together: the plain new orders before the first cancelled one. The order that
    # arrives after the fetched one, and the SET-3 order after the cancelled one, go one by one.
    together = {first["orderNumber"], second["orderNumber"], cancelled_later["orderNumber"], takes_last_of_set_1["orderNumber"], short["orderNumber"]}
    taken_ids = {
        InboundEvent.objects.get(dedup_key=webhooks.order_item(order, "checkout.order.placed").dedup_key).pk
        for order in (first, second, cancelled_later, takes_last_of_set_1, short)
    }
    assert len(taken_ids) == 5
    assert in_batch["one_by_one"] == sorted(set(ids) - taken_ids)
    assert one_by_one["one_by_one"] == sorted(ids)

    # The values both runs agree on.
    orders = {row[0]: row for row in in_batch["orders"]}
    assert set(orders) == together | {known["orderNumber"], "BROKEN-3", after_cancelled["orderNumber"], fetched["orderNumber"], after_fetch["orderNumber"]}
    assert orders[cancelled_later["orderNumber"]][1] == "cancelled"
    assert orders["BROKEN-3"][1] == "cancelled"
    assert orders[short["orderNumber"]][2] is True
    assert orders[short["orderNumber"]][3] == "Stock could not be reserved: SET-1: 1 ordered, 0 available. Check stock or contact the customer."
    assert orders[short["orderNumber"]][4]["de"].startswith("Bestand konnte nicht reserviert werden")
    assert orders[after_fetch["orderNumber"]][2] is True
    assert [row[2] for number, row in orders.items() if number not in (short["orderNumber"], after_fetch["orderNumber"])] == [False] * 8
    assert in_batch["levels"] == [
        ("SET-1", "main", Decimal(5), Decimal(5)),
        ("SET-2", "main", Decimal(4), Decimal(4)),
        ("SET-3", "main", Decimal(4), Decimal(4)),
    ]
    assert sorted(row[2] for row in in_batch["sync_errors"]) == ["order_invalid", "order_invalid"]
    messages = " ".join(row[3] for row in in_batch["sync_errors"])
    assert "NOT-IN-CATALOG is not in the catalog" in messages
    assert "Order total gross is 999.99" in messages
    assert len(in_batch["bindings"]) == 10
    assert all(matches for _slug, _state, _number, matches in in_batch["order_messages"])
    # The order that arrived cancelled reached no other system, so it is not sent to the ERP.
    assert sorted(number for slug, _state, number, _matches in in_batch["order_messages"]) == sorted(set(orders) - {"BROKEN-3"})
    assert {row[1] for row in in_batch["events"]} == {InboundState.PROCESSED, InboundState.FAILED}
    outcomes = sorted(row[2] for row in in_batch["events"] if row[1] == InboundState.PROCESSED)
    assert outcomes.count("created") == 10
    assert outcomes.count("skipped") == 2
    assert outcomes.count("updated") == 1


def test_last_unit_goes_to_first_order(shop, connection, per_event_calls):
    shop(lambda: place(["SET-3"], quantity=3))
    first = shop(lambda: place(["SET-3"], quantity=1))
    second = shop(lambda: place(["SET-3"], quantity=1))
    ids = pending_ids()

    in_batch = state_after(run_batch(ids), per_event_calls)
    one_by_one = state_after(run_one_by_one(ids), per_event_calls)
    per_event_calls.clear()
    events = process_inbound_batch(ids[0])

    assert per_event_calls == []
    assert [event.outcome for event in events] == ["created"] * 3
    assert Order.objects.get(external_number=first["orderNumber"]).needs_attention is False
    flagged = Order.objects.get(external_number=second["orderNumber"])
    assert flagged.needs_attention is True
    assert flagged.attention_note == "Stock could not be reserved: SET-3: 1 ordered, 0 available. Check stock or contact the customer."
    with translation.override("de"):
        assert flagged.localized_attention_note() == (
            "Bestand konnte nicht reserviert werden: SET-3: 1 bestellt, 0 verfügbar. Prüfen Sie den Bestand oder kontaktieren Sie den Kunden."
        )
    assert not StockReservation.objects.filter(order_line__order=flagged).exists()
    assert list(StockReservation.objects.filter(order_line__order__external_number=first["orderNumber"]).values_list("quantity", flat=True)) == [Decimal(1)]
    level = StockLevel.objects.get(product__sku="SET-3")
    assert (level.on_hand, level.reserved) == (Decimal(4), Decimal(4))
    assert in_batch == {**one_by_one, "one_by_one": []}


def test_two_lines_of_one_product_reserve_together(shop, connection, per_event_calls):
    # Each line alone fits in the 4 units of SET-2, both together do not.
    both_lines = shop(lambda: place(["SET-2", "SET-2"], quantity=3))
    after = shop(lambda: place(["SET-2"], quantity=4))
    ids = pending_ids()

    in_batch = state_after(run_batch(ids), per_event_calls)
    one_by_one = state_after(run_one_by_one(ids), per_event_calls)

    assert in_batch == {**one_by_one, "one_by_one": []}
    orders = {row[0]: row for row in in_batch["orders"]}
    assert orders[both_lines["orderNumber"]][3] == "Stock could not be reserved: SET-2: 6 ordered, 4 available. Check stock or contact the customer."
    assert orders[after["orderNumber"]][2] is False
    assert [row[:5] for row in in_batch["reservations"]] == [(after["orderNumber"], 1, "SET-2", "main", Decimal(4))]
    assert ("SET-2", "main", Decimal(4), Decimal(4)) in in_batch["levels"]


def test_ledger_never_negative(shop, connection, per_event_calls):
    # SET-1 has 5 units in the main warehouse and 2 in a second one. Orders of several sizes
    # compete for them, some with two lines of one product.
    second_warehouse = Warehouse.objects.create(code="second", name="Second")
    stock.record_on_hand(Product.objects.get(sku="SET-1"), second_warehouse, 2)
    for skus, quantity in (
        (["SET-1"], 3), (["SET-1", "SET-2"], 2), (["SET-1", "SET-1"], 1), (["SET-2"], 3),
        (["SET-1"], 2), (["SET-2", "SET-1"], 1), (["SET-1"], 1), (["SET-2"], 1),
    ):
        shop(lambda skus=skus, quantity=quantity: place(skus, quantity=quantity))
    ids = pending_ids()

    in_batch = state_after(run_batch(ids), per_event_calls)
    one_by_one = state_after(run_one_by_one(ids), per_event_calls)
    process_inbound_batch(ids[0])

    assert in_batch == {**one_by_one, "one_by_one": []}
    for level in StockLevel.objects.select_related("product", "warehouse"):
        assert Decimal(0) <= level.reserved <= level.on_hand, level
        open_reserved = sum(
            StockReservation.objects.filter(product=level.product, warehouse=level.warehouse, state="open").values_list("quantity", flat=True),
            Decimal(0),
        )
        assert open_reserved == level.reserved, level
    # All 7 units of SET-1 are reserved, and every order is reserved in full or flagged.
    assert StockLevel.objects.filter(product__sku="SET-1").aggregate(total=Sum("reserved"))["total"] == Decimal(7)
    for order in Order.objects.prefetch_related("lines"):
        demand = {}
        for line in order.lines.all():
            demand[line.sku] = demand.get(line.sku, Decimal(0)) + line.quantity
        reserved = {}
        for sku, quantity in StockReservation.objects.filter(order_line__order=order).values_list("product__sku", "quantity"):
            reserved[sku] = reserved.get(sku, Decimal(0)) + quantity
        short = {sku for sku in demand if reserved.get(sku) != demand[sku]}
        assert all(sku not in reserved for sku in short), order
        assert order.needs_attention is bool(short), order


def test_earlier_failure_resolved_when_created_together(shop, connection, make_product, per_event_calls):
    placed = shop(lambda: place(["SET-1"], quantity=1))
    unknown = malformed(placed, 7)
    unknown["lineItems"][0]["payload"]["productNumber"] = "LATER-1"
    event_id = store_placed(connection, unknown)
    InboundEvent.objects.exclude(pk=event_id).delete()
    process_inbound_batch(event_id)
    assert SyncError.objects.get(inbound_event_id=event_id).resolved is False
    make_product("LATER-1", on_hand=5)
    InboundEvent.objects.filter(pk=event_id).update(state=InboundState.PENDING)
    per_event_calls.clear()

    [event] = process_inbound_batch(event_id)

    assert per_event_calls == []
    assert (event.state, event.outcome, event.attempts, event.error) == (InboundState.PROCESSED, "created", 2, "")
    stored = InboundEvent.objects.get(pk=event_id)
    assert (stored.state, stored.outcome, stored.attempts, stored.error) == (InboundState.PROCESSED, "created", 2, "")
    assert SyncError.objects.get(inbound_event_id=event_id).resolved is True
    assert Order.objects.get(external_number="BROKEN-7").lines.get().sku == "LATER-1"


class WorkerKilled(BaseException):
    """A worker process dying mid-batch: a BaseException, so no `except Exception` catches it."""


def test_killed_worker_commits_nothing(shop, connection, monkeypatch):
    for _ in range(3):
        shop(lambda: place(["SET-3"], quantity=1))
    ids = pending_ids()
    stock_messages = OutboundMessage.objects.filter(entity="stock").count()

    def dying(datas, *, actor):
        create_orders(datas, actor=actor)
        raise WorkerKilled()

    monkeypatch.setattr(inbound, "create_orders", dying)
    with pytest.raises(WorkerKilled):
        process_inbound_batch(ids[0])

    assert pending_ids() == ids
    assert set(InboundEvent.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {0}
    assert not Order.objects.exists()
    assert StockLevel.objects.get(product__sku="SET-3").reserved == Decimal(0)
    assert not StockMovement.objects.filter(reason="reservation").exists()
    assert OutboundMessage.objects.filter(entity="stock").count() == stock_messages
    assert not OutboundMessage.objects.filter(entity="orders").exists()


def test_failed_set_applies_one_by_one(shop, connection, monkeypatch, per_event_calls, caplog):
    placed = [shop(lambda: place(["SET-3"], quantity=1)) for _ in range(3)]
    ids = pending_ids()

    def failing(datas, *, actor):
        create_orders(datas, actor=actor)
        raise RuntimeError("bug after the orders were written")

    monkeypatch.setattr(inbound, "create_orders", failing)
    events = process_inbound_batch(ids[0])

    assert per_event_calls == ids
    assert [(event.state, event.outcome, event.attempts) for event in events] == [(InboundState.PROCESSED, "created", 1)] * 3
    assert sorted(Order.objects.values_list("external_number", flat=True)) == sorted(order["orderNumber"] for order in placed)
    assert StockLevel.objects.get(product__sku="SET-3").reserved == Decimal(3)
    assert StockReservation.objects.count() == 3
    assert StockMovement.objects.filter(reason="reservation").count() == 3
    assert Binding.objects.filter(content_type__model="order").count() == 3
    assert OutboundMessage.objects.filter(entity="orders").count() == 3
    assert OrderStatusChange.objects.count() == 3
    [record] = [record for record in caplog.records if record.message == "inbound events not applied together, applying them one by one"]
    assert record.levelname == "ERROR"
    assert record.inbound_event_ids == ids



@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_falls_back(sandbox, connection, make_product, erp, per_event_calls, caplog):
    make_product("RACE-1", on_hand=10)
    push_catalog(connection.pk)
    # The shop's webhooks store one pending event per order as each order commits.
    placed = [place(["RACE-1"], quantity=1) for _ in range(3)]
    ids = pending_ids()
    assert len(ids) == 3
    duplicate = placed[1]
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [batch_pid] = cursor.fetchone()
    inserted = threading.Event()

    def other_worker():
        # Another worker creates the second order after the batch looked for known orders: its
        # row is inserted but not committed until the batch waits for it on the unique index.
        # It reserves nothing, so it holds no stock level lock that the batch would wait for first.
        with transaction.atomic():
            data = order_mapper.order_input(duplicate, channel=inbound.channel_for(connection), connection=connection)
            create_order(data, actor="other-worker", reserve=False)
            inserted.set()
            deadline = time.monotonic() + 10
            while not backend_waits_for_lock(batch_pid):
                assert time.monotonic() < deadline, "the batch never waited for the other worker's order"
                time.sleep(0.02)
        return True

    thread_results = []

    def run_other_worker():
        try:
            thread_results.append(other_worker())
        except BaseException as error:  # noqa: BLE001 - reported to the test, which asserts on it
            thread_results.append(error)
        finally:
            db_connection.close()

    thread = threading.Thread(target=run_other_worker)
    thread.start()
    assert inserted.wait(timeout=10)
    events = process_inbound_batch(ids[0])
    thread.join(timeout=30)

    assert thread_results == [True]
    assert per_event_calls == ids
    assert [(event.pk, event.state, event.outcome) for event in events] == [
        (ids[0], InboundState.PROCESSED, "created"),
        (ids[1], InboundState.PROCESSED, "skipped"),
        (ids[2], InboundState.PROCESSED, "created"),
    ]
    assert sorted(Order.objects.values_list("external_number", flat=True)) == sorted(order["orderNumber"] for order in placed)
    assert Order.objects.get(external_number=duplicate["orderNumber"]).status_history.get().actor == "other-worker"
    # Nothing of the rolled-back set remains: one reservation, movement and binding per order.
    assert StockLevel.objects.get(product__sku="RACE-1").reserved == Decimal(2)
    assert sorted(StockReservation.objects.values_list("order_line__order__external_number", flat=True)) == sorted(
        [placed[0]["orderNumber"], placed[2]["orderNumber"]]
    )
    assert StockMovement.objects.filter(reason="reservation").count() == 2
    assert sorted(Binding.objects.filter(content_type__model="order").values_list("external_id", flat=True)) == sorted(order["id"] for order in placed)
    assert OutboundMessage.objects.filter(connection=erp, entity="orders").count() == 3
    assert not SyncError.objects.exists()
    [record] = [record for record in caplog.records if record.message == "inbound events not applied together, applying them one by one"]
    assert (record.levelname, record.error) == ("WARNING", "IntegrityError")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_closed_connection_in_set_commits_nothing(sandbox, connection, make_product, monkeypatch):
    make_product("DROP-1", on_hand=100)
    push_catalog(connection.pk)
    for _ in range(3):
        place(["DROP-1"])
    ids = pending_ids()

    def dropping(datas, *, actor):
        results = create_orders(datas, actor=actor)
        db_connection.close()
        return results

    monkeypatch.setattr(inbound, "create_orders", dropping)
    outcome = run_in_threads(lambda: process_inbound_batch(ids[0]))[0]

    assert isinstance(outcome, Exception)
    assert pending_ids() == ids
    assert not Order.objects.exists()
    assert StockLevel.objects.get(product__sku="DROP-1").reserved == Decimal(0)

    monkeypatch.setattr(inbound, "create_orders", create_orders)
    events = process_inbound_batch(ids[0])

    assert [(event.state, event.outcome) for event in events] == [(InboundState.PROCESSED, "created")] * 3
    assert Order.objects.count() == 3
    assert StockLevel.objects.get(product__sku="DROP-1").reserved == Decimal(3)


def test_malformed_shapes_fail_alone(shop, connection, per_event_calls):
    first = shop(lambda: place(["SET-3"], quantity=1))
    ids_before = pending_ids()
    store_placed(connection, malformed(first, 11, lineItems=["not a line item"]))
    store_placed(connection, malformed(first, 12, stateMachineState="cancelled"))
    malformed_ids = pending_ids()[len(ids_before):]
    last = shop(lambda: place(["SET-3"], quantity=1))
    ids = pending_ids()

    in_batch = state_after(run_batch(ids), per_event_calls)
    one_by_one = state_after(run_one_by_one(ids), per_event_calls)

    # The order with an unreadable state may be a cancellation of SET-3, so the SET-3 order
    # after it goes one by one as well.
    assert in_batch == {**one_by_one, "one_by_one": [*malformed_ids, ids[-1]]}
    assert [row[0] for row in in_batch["orders"]] == sorted([first["orderNumber"], last["orderNumber"]])
    states = {dedup_key: state for dedup_key, state, *_rest in in_batch["events"]}
    assert [states[key] for key in InboundEvent.objects.filter(pk__in=malformed_ids).order_by("pk").values_list("dedup_key", flat=True)] == [
        InboundState.FAILED, InboundState.FAILED,
    ]


def test_failed_outcome_store_keeps_events_unchanged(shop, connection, monkeypatch, per_event_calls):
    shop(lambda: place(["SET-3"], quantity=1))
    shop(lambda: place(["SET-3"], quantity=1))
    ids = pending_ids()

    def failing_store(outcomes, *, now=None):
        raise RuntimeError("outcomes not stored")

    monkeypatch.setattr(inbox, "store_outcomes", failing_store)
    events = process_inbound_batch(ids[0])

    # Both events went through process_inbound with the attempt count they had.
    assert per_event_calls == ids
    assert [(event.state, event.outcome, event.attempts) for event in events] == [(InboundState.PROCESSED, "created", 1)] * 2
    assert list(InboundEvent.objects.filter(pk__in=ids).order_by("pk").values_list("attempts", flat=True)) == [1, 1]
    assert Order.objects.count() == 2
    assert StockLevel.objects.get(product__sku="SET-3").reserved == Decimal(2)


def unsent_order(sku, customer_number, **order_customer):
    """Place an order in the shop without its webhook; return it with `order_customer` merged into its orderCustomer."""
    product = store.find_by_natural_key("shopware", "product", sku).data
    order = copy.deepcopy(
        place_order([PlacedLine(product=product, quantity=1, unit_gross=Decimal("11.90"))], customer_number=customer_number, country_iso="DE", placed_at=timezone.now())
    )
    order["orderCustomer"].update(order_customer)
    return order


@pytest.mark.parametrize("leader", [None, "shopware-de", "odoo"])
def test_new_customers_match_one_by_one(shop, connection, erp, per_event_calls, leader):
    if leader is not None:
        LeadingSystemRule.objects.create(domain="customers", field_group="master", connection=Connection.objects.get(slug=leader))
    Customer.objects.create(email="known@example.com", first_name="Known", last_name="Before")
    first = unsent_order("SET-1", "501")
    buyer = first["orderCustomer"]
    orders = [
        first,
        unsent_order("SET-2", "502", company="Zweite GmbH", vatIds=["DE136695976"]),
        # The first customer again, with another last name and a company.
        unsent_order("SET-3", "501", lastName="Changed", company="Erste GmbH"),
        unsent_order("SET-1", "", email="guest@example.com", customer={"guest": True, "apiAlias": "customer"}),
        unsent_order("SET-2", "", email="guest@example.com", customer={"guest": True, "apiAlias": "customer"}),
        # A registered customer with a guest's email, in other letter case.
        unsent_order("SET-3", "503", email="GUEST@example.com"),
        unsent_order("SET-1", "504", email="Known@Example.com", firstName="Kim", lastName="Known"),
        unsent_order("SET-2", "505", email="not an email", vatIds=["DE123"]),
        unsent_order("SET-3", "506", vatIds=["XX1"]),
    ]
    for order in orders:
        store_placed(connection, order)
    ids = pending_ids()
    assert len(ids) == len(orders)

    in_batch = state_after(run_batch(ids), per_event_calls)
    one_by_one = state_after(run_one_by_one(ids), per_event_calls)

    assert in_batch == {**one_by_one, "one_by_one": []}
    customers = {(row[0], row[1]): row for row in in_batch["customers"] if row[0] != "guest@example.com"}
    known = customers[("known@example.com", False)]
    first_customer = customers[(buyer["email"], False)]
    if leader == "shopware-de":
        assert known[2:4] == ("Kim", "Known")
        assert first_customer[3:5] == ("Changed", "Erste GmbH")
    else:
        assert known[2:4] == ("Known", "Before")
        assert first_customer[2:5] == (buyer["firstName"], buyer["lastName"], "")
    if leader == "odoo":
        assert in_batch["conflicts"] == sorted([
            ("shopware-de", buyer["email"], "company", "", "Erste GmbH", "odoo"),
            ("shopware-de", buyer["email"], "last_name", buyer["lastName"], "Changed", "odoo"),
            ("shopware-de", "known@example.com", "first_name", "Known", "Kim", "odoo"),
            ("shopware-de", "known@example.com", "last_name", "Before", "Known", "odoo"),
        ])
    else:
        assert in_batch["conflicts"] == []
    assert [row[1] for row in in_batch["customers"] if row[0] == "guest@example.com"] == [False, True, True]
    assert customers[(orders[1]["orderCustomer"]["email"], False)][4:] == ("Zweite GmbH", "DE136695976")
    assert customers[(orders[8]["orderCustomer"]["email"], False)][5] == ""
    # Every registered customer is bound to its shop id; guests and the unlinked order are not.
    assert [row[1] for row in in_batch["customer_bindings"]] == sorted(order["orderCustomer"]["customerId"] for order in orders[:2] + orders[5:7] + orders[8:])
    rows = {row[0]: row for row in in_batch["orders"]}
    assert [rows[order["orderNumber"]][-2:] for order in orders] == [
        (buyer["email"], False),
        (orders[1]["orderCustomer"]["email"], False),
        (buyer["email"], False),
        ("guest@example.com", True),
        ("guest@example.com", True),
        ("guest@example.com", False),
        ("known@example.com", False),
        (None, None),
        (orders[8]["orderCustomer"]["email"], False),
    ]
    assert rows[orders[7]["orderNumber"]][2] is True
    assert rows[orders[7]["orderNumber"]][3].startswith('The customer email "not an email" is invalid')
    assert rows[orders[8]["orderNumber"]][3].startswith('The VAT ID "XX1" of the customer is invalid')
