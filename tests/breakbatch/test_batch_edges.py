"""Batch edges a support person meets: cancellations, disabled shops, other entities, retries, German admin."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation

from catalog.models import Channel, Product
from catalog.services.stock import available_for_channel
from integrations import tasks
from integrations.models import Connection, InboundEvent, InboundState, OutboundMessage, SyncError
from integrations.registry import InboundItem
from integrations.sandbox.shopware.orders import apply_transition
from integrations.services import inbox, syncruns
from integrations.services.inbox import process_inbound_batch, store_inbound_items
from integrations.shopware.tasks import push_catalog
from orders.models import Order, OrderStatus
from tests.breakbatch.helpers import (
    malformed,
    pending_ids,
    place,
    states_of,
    stock_level,
    store_placed,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(sandbox, connection, make_product, django_capture_on_commit_callbacks):
    """One product with 10 units in the shop; `act` runs shop actions and stores their webhooks unprocessed."""
    make_product("EDGE-1", on_hand=10)
    push_catalog(connection.pk)

    def act(action):
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return act


@pytest.fixture
def queued(monkeypatch):
    """Record the processing tasks that the inbox and the admin retry queue."""
    calls = []

    def record(path, event_id, lane):
        calls.append(event_id)

    monkeypatch.setattr(inbox, "enqueue_on_commit", record)
    monkeypatch.setattr(syncruns, "enqueue_on_commit", record)
    return calls


def shop_figures(connection, sku):
    messages = OutboundMessage.objects.filter(connection=connection, entity="stock", state="pending").order_by("id")
    return [message.payload["channels"][connection.slug] for message in messages if message.payload["sku"] == sku]


def test_order_and_its_cancellation_in_one_batch(shop, connection):
    placed = shop(lambda: place(["EDGE-1"], quantity=3))
    kept = shop(lambda: place(["EDGE-1"], quantity=2))
    shop(lambda: apply_transition("order", placed["id"], "cancel"))
    ids = pending_ids()

    events = process_inbound_batch(ids[0])

    assert [event.pk for event in events] == ids
    assert set(states_of(ids).values()) == {InboundState.PROCESSED}
    assert Order.objects.get(external_number=placed["orderNumber"]).status == OrderStatus.CANCELLED
    assert Order.objects.get(external_number=kept["orderNumber"]).status != OrderStatus.CANCELLED
    assert stock_level("EDGE-1").reserved == Decimal(2)
    channel = Channel.objects.get(code=connection.slug)
    figure = available_for_channel(Product.objects.get(sku="EDGE-1"), channel)
    assert figure == Decimal(8)
    assert shop_figures(connection, "EDGE-1")[-1] == "8"


def test_disabled_connection_keeps_events(shop, connection, queued):
    shop(lambda: place(["EDGE-1"]))
    ids = pending_ids()
    Connection.objects.filter(pk=connection.pk).update(enabled=False)

    assert process_inbound_batch(ids[0]) == []
    assert tasks.process_inbound_event(ids[0]) is None
    assert inbox.requeue_due_inbound_events(now=timezone.now() + timedelta(minutes=5)) == 0

    assert pending_ids() == ids
    assert not Order.objects.exists()
    assert InboundEvent.objects.get(pk=ids[0]).attempts == 0


def test_other_entities_and_connections_stay_out(shop, connection):
    shop(lambda: place(["EDGE-1"]))
    shop(lambda: place(["EDGE-1"]))
    first, second = pending_ids()
    customer = store_inbound_items(
        connection, [InboundItem(entity="customers", external_id="C-1", dedup_key="customer:C-1", payload={"id": "C-1"})],
        source="webhook", queue=False,
    )[0]
    other = Connection.objects.create(kind="shopware", name="Shopware AT", slug="shopware-at", base_url="http://testserver/sandbox/shopware")
    foreign = store_inbound_items(
        other, [InboundItem(entity="orders", external_id="F-1", dedup_key="order:F-1", payload={"id": "F-1"})],
        source="webhook", queue=False,
    )[0]

    events = process_inbound_batch(second)

    assert [event.pk for event in events] == [first, second]
    assert states_of([customer, foreign]) == {customer: InboundState.PENDING, foreign: InboundState.PENDING}
    # The other entity's own task applies it on its own.
    assert [event.pk for event in process_inbound_batch(customer)] == [customer]
    assert InboundEvent.objects.get(pk=customer).state == InboundState.IGNORED


def test_scheduled_retry_waits_for_its_time(shop, connection, queued):
    shop(lambda: place(["EDGE-1"]))
    shop(lambda: place(["EDGE-1"]))
    first, waiting = pending_ids()
    due = timezone.now() + timedelta(minutes=5)
    InboundEvent.objects.filter(pk=waiting).update(next_attempt_at=due, attempts=1)

    process_inbound_batch(first)

    assert pending_ids() == [waiting]
    # Its own task, run early, leaves it to the retry.
    assert process_inbound_batch(waiting) == []
    assert inbox.requeue_due_inbound_events(now=due - timedelta(seconds=1)) == 0
    assert inbox.requeue_due_inbound_events(now=due) == 1
    # Time passes: the retry falls due, and the queued task applies the event.
    InboundEvent.objects.filter(pk=waiting).update(next_attempt_at=timezone.now())
    assert tasks.process_inbound_event(queued[-1]) == InboundState.PROCESSED
    retried = InboundEvent.objects.get(pk=waiting)
    assert (retried.attempts, retried.next_attempt_at) == (2, None)
    assert Order.objects.count() == 2


def test_admin_retry_goes_through_batch(shop, connection, make_product, queued):
    good = shop(lambda: place(["EDGE-1"]))
    InboundEvent.objects.all().delete()
    lines = [{**good["lineItems"][0], "payload": {**good["lineItems"][0]["payload"], "productNumber": "EDGE-LATE"}}]
    failed_id = store_placed(connection, malformed(good, 7, lineItems=lines))
    process_inbound_batch(failed_id)
    sync_error = SyncError.objects.get(inbound_event_id=failed_id)
    assert InboundEvent.objects.get(pk=failed_id).state == InboundState.FAILED
    # The merchant adds the missing product, a new order arrives meanwhile, then support retries.
    make_product("EDGE-LATE", on_hand=5)
    pending_id = store_placed(connection, good)
    queued.clear()

    assert syncruns.retry_sync_error(sync_error) is True
    assert queued == [failed_id]
    assert tasks.process_inbound_event(failed_id) == InboundState.PROCESSED

    # The retried event's batch took the new order along.
    assert states_of([failed_id, pending_id]) == {failed_id: InboundState.PROCESSED, pending_id: InboundState.PROCESSED}
    sync_error.refresh_from_db()
    assert sync_error.resolved is True
    assert Order.objects.filter(external_number="BROKEN-7").count() == 1
    assert stock_level("EDGE-LATE").reserved == Decimal(1)
    assert Order.objects.count() == 2
    # The new order's own task finds nothing left to do.
    assert tasks.process_inbound_event(pending_id) is None
    assert InboundEvent.objects.get(pk=pending_id).attempts == 1


def test_admin_retry_runs_when_dispatcher_queues_first(shop, connection, make_product, queued, monkeypatch):
    from integrations.services import dispatch

    good = shop(lambda: place(["EDGE-1"]))
    InboundEvent.objects.all().delete()
    lines = [{**good["lineItems"][0], "payload": {**good["lineItems"][0]["payload"], "productNumber": "EDGE-LATE"}}]
    failed_id = store_placed(connection, malformed(good, 8, lineItems=lines))
    process_inbound_batch(failed_id)
    sync_error = SyncError.objects.get(inbound_event_id=failed_id)
    make_product("EDGE-LATE", on_hand=5)
    dispatched = []
    monkeypatch.setattr(dispatch.queue, "enqueue_on_commit", lambda path, *args, lane: dispatched.append(args))
    queued.clear()

    # Support retries; the dispatcher's next step finds the event due before the retry's task runs.
    assert syncruns.retry_sync_error(sync_error) is True
    assert dispatch.queue_due_inbound_retries() == 1

    # The retry's own task leaves the event to the dispatcher's, which applies it.
    assert tasks.process_inbound_event(*queued) is None
    assert dispatched == [(failed_id, InboundEvent.objects.get(pk=failed_id).next_attempt_at.isoformat())]
    assert tasks.process_inbound_event(*dispatched[0]) == InboundState.PROCESSED
    assert Order.objects.filter(external_number="BROKEN-8").count() == 1
    sync_error.refresh_from_db()
    assert sync_error.resolved is True


def test_dispatched_task_skips_newer_retry(shop, connection, queued, monkeypatch):
    from integrations.services import dispatch

    good = shop(lambda: place(["EDGE-1"]))
    InboundEvent.objects.all().delete()
    event_id = store_placed(connection, good)
    InboundEvent.objects.filter(pk=event_id).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    dispatched = []
    monkeypatch.setattr(dispatch.queue, "enqueue_on_commit", lambda path, *args, lane: dispatched.append(args))
    assert dispatch.queue_due_inbound_retries() == 1

    # A failure rescheduled the event after the dispatcher queued it: the task leaves it alone.
    later = timezone.now() + timedelta(minutes=5)
    InboundEvent.objects.filter(pk=event_id).update(next_attempt_at=later)

    assert tasks.process_inbound_event(*dispatched[0]) is None
    assert InboundEvent.objects.get(pk=event_id).state == InboundState.PENDING


@pytest.fixture
def admin_client_de(client):
    client.force_login(get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-admin-1"))
    return client


def german_order_page(client, order):
    # The override restores the language afterwards; LocaleMiddleware would leave German active.
    with translation.override("de"):
        return client.get(reverse("admin:orders_order_change", args=[order.pk]), HTTP_ACCEPT_LANGUAGE="de").content.decode()


def test_worker_notes_shown_in_german(shop, connection, admin_client_de):
    placed = shop(lambda: place(["EDGE-1"]))
    shop(lambda: apply_transition("order", placed["id"], "cancel"))
    with translation.override("en"):
        process_inbound_batch(pending_ids()[0])
    order = Order.objects.get()

    html = german_order_page(admin_client_de, order)

    assert "Bestellung eingegangen" in html
    assert "In Shopware storniert" in html
    assert "Order received" not in html
    assert "Cancelled in Shopware" not in html


def test_shortage_note_shown_in_german(shop, connection, admin_client_de):
    shop(lambda: place(["EDGE-1"], quantity=8))
    shop(lambda: place(["EDGE-1"], quantity=8))
    with translation.override("en"):
        process_inbound_batch(pending_ids()[0])
    short = Order.objects.get(needs_attention=True)

    html = german_order_page(admin_client_de, short)

    assert "Bestand konnte nicht reserviert werden" in html
    assert "Stock could not be reserved" not in html
