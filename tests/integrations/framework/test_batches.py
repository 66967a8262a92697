import json
import threading
from datetime import timedelta

import pytest
import responses
from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone

from catalog.models import Warehouse
from integrations.models import (
    Binding,
    InboundEvent,
    InboundSource,
    InboundState,
    OutboundMessage,
    OutboundState,
)
from integrations.registry import InboundItem
from integrations.services import queue
from integrations.services.batches import claim_due_messages, deliver_claimed, deliver_due_messages
from integrations.services.clients import rate_limiter_for
from integrations.services.dispatch import dispatch_due
from integrations.services.inbox import store_inbound_items
from integrations.services.outbox import enqueue_outbound
from tests.integrations.framework.conftest import BASE_URL, make_connection


def queue_products(records, name="Main"):
    with transaction.atomic():
        return [enqueue_outbound(record, "products", {"name": f"{name} {record.code}"})[0] for record in records]


def warehouses(count):
    return Warehouse.objects.bulk_create([Warehouse(code=f"W{number}", name=f"W{number}") for number in range(count)])


def claim_in_thread(lane, limit):
    """Claim from another thread, which has its own database connection, as a second worker does."""
    result = {}

    def run():
        try:
            result["ids"] = {message.pk for message in claim_due_messages(lane, limit=limit)}
        finally:
            db_connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    return result["ids"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_claimers_get_distinct_messages(queued):
    make_connection("shop")
    messages = queue_products(warehouses(30))

    # The first claimer's transaction is still open (its rows locked) while the second claims.
    with transaction.atomic():
        first = {message.pk for message in claim_due_messages("master", limit=20)}
        second = claim_in_thread("master", limit=20)
    # After the first claim committed, its messages are in flight and no longer due.
    third = claim_in_thread("master", limit=20)

    assert len(first) == 20
    assert len(second) == 10
    assert first.isdisjoint(second)
    assert first | second == {message.pk for message in messages}
    assert third == set()
    assert OutboundMessage.objects.filter(state=OutboundState.IN_FLIGHT, attempts=1).count() == 30


@pytest.mark.django_db
def test_claim_takes_oldest_message_per_record(shop):
    (warehouse,) = warehouses(1)
    older = queue_products([warehouse], "A")[0]
    newer = queue_products([warehouse], "B")[0]

    first = claim_due_messages("master")
    again = claim_due_messages("master")

    assert [message.pk for message in first] == [older.pk]
    assert again == []
    assert OutboundMessage.objects.get(pk=newer.pk).state == OutboundState.PENDING


@pytest.mark.django_db
@responses.activate
def test_batch_delivers_in_record_order(shop):
    first_record, second_record = warehouses(2)
    Binding.objects.create(connection=shop, content_type_id=_content_type_id(), object_id=str(first_record.pk), external_id="SW-1")
    for record in (first_record, second_record):
        responses.put(f"{BASE_URL}/products/{record.pk}", headers={"X-Remote-Id": f"SW-{record.code}"})
    older = queue_products([first_record, second_record], "A")
    newer = queue_products([first_record], "B")[0]

    counts = deliver_due_messages("master")

    assert counts == {"delivered": 3}
    bodies = [(call.request.url.rsplit("/", 1)[1], json.loads(call.request.body)["name"]) for call in responses.calls]
    assert bodies == [
        (str(first_record.pk), "A W0"),
        (str(second_record.pk), "A W1"),
        (str(first_record.pk), "B W0"),
    ]
    keys = [call.request.headers["Idempotency-Key"] for call in responses.calls]
    assert keys == [older[0].idempotency_key, older[1].idempotency_key, newer.idempotency_key]
    assert set(OutboundMessage.objects.values_list("state", "attempts")) == {(OutboundState.DELIVERED, 1)}
    newer.refresh_from_db()
    assert newer.delivered_at is not None
    assert newer.lease_expires_at is None
    bindings = dict(Binding.objects.values_list("object_id", "pushed_fingerprint"))
    assert bindings == {str(first_record.pk): newer.fingerprint, str(second_record.pk): older[1].fingerprint}


@pytest.mark.django_db
@responses.activate
def test_batch_skips_unchanged_content(shop):
    (record,) = warehouses(1)
    responses.put(f"{BASE_URL}/products/{record.pk}")
    message = queue_products([record])[0]
    Binding.objects.create(
        connection=shop, content_type_id=message.content_type_id, object_id=message.object_id,
        external_id="SW-1", pushed_fingerprint=message.fingerprint,
    )

    counts = deliver_due_messages("master")

    assert counts == {"skipped": 1}
    assert len(responses.calls) == 0
    assert OutboundMessage.objects.get().state == OutboundState.SKIPPED


@pytest.mark.django_db
@responses.activate
def test_batch_429_and_5xx_retried(shop):
    limited, broken = warehouses(2)
    responses.put(f"{BASE_URL}/products/{limited.pk}", status=429, headers={"Retry-After": "2"})
    responses.put(f"{BASE_URL}/products/{broken.pk}", status=503)
    queue_products([limited, broken])
    before = timezone.now()

    counts = deliver_due_messages("master")

    assert counts == {"retry": 2}
    first, second = OutboundMessage.objects.order_by("pk")
    assert (first.state, first.attempts, first.error_code) == (OutboundState.PENDING, 1, "rate_limited")
    assert before + timedelta(seconds=2) <= first.next_attempt_at <= timezone.now() + timedelta(seconds=3)
    assert (second.state, second.attempts, second.error_code) == (OutboundState.PENDING, 1, "unavailable")
    assert second.lease_expires_at is None


@pytest.mark.django_db
@responses.activate
def test_rate_limit_hands_back_rest_unsent(shop, monkeypatch):
    records = warehouses(3)
    for record in records:
        responses.put(f"{BASE_URL}/products/{record.pk}")
    queue_products(records)
    monkeypatch.setattr("integrations.services.clients.DELIVERY_RATE_LIMIT_WAIT_SECONDS", 0.0)
    shop.rate_limit_per_second = 0.01
    shop.rate_limit_burst = 1
    shop.save()
    limiter = rate_limiter_for(shop)
    assert limiter.try_acquire()

    counts = deliver_due_messages("master")

    assert counts == {"deferred": 3}
    assert len(responses.calls) == 0
    assert set(OutboundMessage.objects.values_list("state", "attempts", "error_code")) == {
        (OutboundState.PENDING, 0, "rate_limited")
    }


@pytest.mark.django_db
@responses.activate
def test_outcome_dropped_after_lease_lost(shop):
    (record,) = warehouses(1)
    responses.put(f"{BASE_URL}/products/{record.pk}")
    queue_products([record])
    (claimed,) = claim_due_messages("master")
    # Another worker took the message over after the lease expired.
    OutboundMessage.objects.filter(pk=claimed.pk).update(claim_token="someone-else")

    counts = deliver_claimed([claimed], send_window_seconds=10)

    assert counts == {}
    message = OutboundMessage.objects.get()
    assert (message.state, message.claim_token) == (OutboundState.IN_FLIGHT, "someone-else")


@pytest.mark.django_db
def test_dispatcher_queues_due_retry_only(shop, queued, monkeypatch):
    monkeypatch.setattr(queue, "queue_length", lambda lane: 0)
    due, later = queue_products(warehouses(2))
    now = timezone.now()
    OutboundMessage.objects.filter(pk=due.pk).update(next_attempt_at=now - timedelta(seconds=1), attempts=1)
    OutboundMessage.objects.filter(pk=later.pk).update(next_attempt_at=now + timedelta(seconds=30), attempts=1)
    queued.clear()

    counts = dispatch_due(now)

    assert counts == {"batch_tasks": 1, "inbound": 0}
    assert queued == [("integrations.tasks.deliver_due_messages", ("master",), "master")]
    (claimed,) = claim_due_messages("master", now=now)
    assert claimed.pk == due.pk


@pytest.mark.django_db
def test_dispatcher_respects_waiting_tasks(shop, queued, monkeypatch):
    monkeypatch.setattr(queue, "queue_length", lambda lane: 2)
    queue_products(warehouses(3))
    queued.clear()

    counts = dispatch_due()

    assert counts == {"batch_tasks": 0, "inbound": 0}
    assert queued == []


@pytest.mark.django_db
def test_dispatcher_queues_inbound_retry_once(shop, queued, django_capture_on_commit_callbacks):
    item = InboundItem(entity="stock", external_id="W1", dedup_key="stock:W1:1", payload={"sku": "W1"})
    (event_id,) = store_inbound_items(shop, [item], source=InboundSource.WEBHOOK)
    now = timezone.now()
    InboundEvent.objects.filter(pk=event_id).update(next_attempt_at=now - timedelta(seconds=1), attempts=1)
    queued.clear()

    with django_capture_on_commit_callbacks(execute=True):
        first = dispatch_due(now)
        second = dispatch_due(now + timedelta(seconds=1))

    assert (first["inbound"], second["inbound"]) == (1, 0)
    event = InboundEvent.objects.get()
    # The task gets the postponed time, from which it can tell that the event is due for it.
    assert queued == [("integrations.tasks.process_inbound_event", (event_id, event.next_attempt_at.isoformat()), "hot")]
    assert event.state == InboundState.PENDING
    assert event.next_attempt_at > now + timedelta(seconds=60)


@pytest.mark.django_db
def test_one_batch_task_per_lane(shop, queued, django_capture_on_commit_callbacks):
    records = warehouses(3)

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            for record in records:
                enqueue_outbound(record, "products", {"name": record.code})
                enqueue_outbound(record, "stock", {"sku": record.code, "quantity": 1})

    assert sorted(queued) == [
        ("integrations.tasks.deliver_due_messages", ("hot",), "hot"),
        ("integrations.tasks.deliver_due_messages", ("master",), "master"),
    ]


@pytest.mark.django_db
def test_batch_task_requeued_after_savepoint_rollback(shop, queued, django_capture_on_commit_callbacks):
    first, second = warehouses(2)

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            try:
                with transaction.atomic():
                    enqueue_outbound(first, "products", {"name": "A"})
                    raise RuntimeError("rolled back")
            except RuntimeError:
                pass
            enqueue_outbound(second, "products", {"name": "B"})

    assert queued == [("integrations.tasks.deliver_due_messages", ("master",), "master")]


def _content_type_id():
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(Warehouse).pk
