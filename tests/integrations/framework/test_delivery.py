import json
from datetime import timedelta

import pytest
import responses
from django.db import transaction
from django.utils import timezone

from catalog.models import Warehouse
from integrations.models import Binding, OutboundMessage, OutboundState, SyncError
from integrations.retry import DELIVERY_POLICY
from integrations.services.clients import circuit_breaker_for
from integrations.services.delivery import claim_message, deliver_message
from integrations.services.outbox import enqueue_outbound
from tests.integrations.framework.conftest import BASE_URL

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse(db):
    return Warehouse.objects.create(code="W1", name="Main")


def queue_product(record, name):
    with transaction.atomic():
        (message,) = enqueue_outbound(record, "products", {"name": name})
    return message


def make_due(message):
    """Stand in for the time passing until the message's next attempt."""
    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


@responses.activate
def test_delivered_with_idempotency_key_and_binding(shop, warehouse):
    remote = responses.put(f"{BASE_URL}/products/{warehouse.pk}", headers={"X-Remote-Id": "SW-1"})
    message = queue_product(warehouse, "Main")

    state = deliver_message(message.pk)

    assert state == OutboundState.DELIVERED
    assert remote.call_count == 1
    request = responses.calls[0].request
    assert request.headers["Idempotency-Key"] == message.idempotency_key
    assert request.headers["Authorization"] == "Bearer tok-shop-0123456789"
    message.refresh_from_db()
    assert message.attempts == 1
    assert message.remote_id == "SW-1"
    binding = Binding.objects.get()
    assert binding.external_id == "SW-1"
    assert binding.pushed_fingerprint == message.fingerprint


@responses.activate
def test_second_run_is_noop(shop, warehouse):
    remote = responses.put(f"{BASE_URL}/products/{warehouse.pk}")
    message = queue_product(warehouse, "Main")

    first = deliver_message(message.pk)
    second = deliver_message(message.pk)

    assert first == OutboundState.DELIVERED
    assert second is None
    assert remote.call_count == 1


@responses.activate
def test_unchanged_fingerprint_skipped(shop, warehouse):
    remote = responses.put(f"{BASE_URL}/products/{warehouse.pk}", headers={"X-Remote-Id": "SW-1"})
    deliver_message(queue_product(warehouse, "Main").pk)

    repeated = queue_product(warehouse, "Main")
    state = deliver_message(repeated.pk)

    assert state == OutboundState.SKIPPED
    assert remote.call_count == 1


@responses.activate
def test_429_retry_after_honoured(shop, warehouse):
    url = f"{BASE_URL}/products/{warehouse.pk}"
    responses.put(url, status=429, headers={"Retry-After": "120"})
    responses.put(url, status=200)
    message = queue_product(warehouse, "Main")
    before = timezone.now()

    first = deliver_message(message.pk)
    too_early = deliver_message(message.pk)

    assert first == OutboundState.PENDING
    assert too_early is None
    assert len(responses.calls) == 1
    message.refresh_from_db()
    assert message.error_code == "rate_limited"
    assert message.attempts == 1
    assert message.next_attempt_at >= before + timedelta(seconds=120)

    make_due(message)
    assert deliver_message(message.pk) == OutboundState.DELIVERED
    assert len(responses.calls) == 2


@responses.activate
def test_5xx_retried_then_sync_error(shop, warehouse):
    remote = responses.put(f"{BASE_URL}/products/{warehouse.pk}", status=503, json={"error": "down"})
    message = queue_product(warehouse, "Main")

    states = []
    for _attempt in range(DELIVERY_POLICY.max_attempts):
        make_due(message)
        # The breaker opens after five failures; the backoff outlasts its reset timeout.
        circuit_breaker_for(shop).reset()
        states.append(deliver_message(message.pk))

    assert states == [OutboundState.PENDING] * (DELIVERY_POLICY.max_attempts - 1) + [OutboundState.FAILED]
    assert remote.call_count == DELIVERY_POLICY.max_attempts
    error = SyncError.objects.get()
    assert error.outbound_message == message
    assert error.code == "unavailable"
    assert error.attempts == DELIVERY_POLICY.max_attempts
    assert error.direction == "outbound"
    assert error.object_id == str(warehouse.pk)
    assert error.payload == {"name": "Main"}
    assert "Shop" in error.message or "shop" in error.message
    assert error.resolved is False


@responses.activate
def test_4xx_becomes_sync_error_at_once(shop, warehouse):
    responses.put(
        f"{BASE_URL}/products/{warehouse.pk}",
        status=422,
        json={"errors": [{"field": "name", "message": "too short"}]},
    )
    message = queue_product(warehouse, "Main")

    state = deliver_message(message.pk)

    assert state == OutboundState.FAILED
    error = SyncError.objects.get()
    assert error.code == "validation_failed"
    assert "name: too short" in error.message


@responses.activate
def test_live_lease_not_taken_over(shop, warehouse):
    remote = responses.put(f"{BASE_URL}/products/{warehouse.pk}")
    message = queue_product(warehouse, "Main")
    claimed = claim_message(message.pk)

    state = deliver_message(message.pk)

    assert claimed.state == OutboundState.IN_FLIGHT
    assert state is None
    assert remote.call_count == 0


@responses.activate
def test_expired_lease_taken_over(shop, warehouse):
    remote = responses.put(f"{BASE_URL}/products/{warehouse.pk}")
    message = queue_product(warehouse, "Main")
    dead_worker = claim_message(message.pk)
    OutboundMessage.objects.filter(pk=message.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))

    state = deliver_message(message.pk)

    assert state == OutboundState.DELIVERED
    assert remote.call_count == 1
    message.refresh_from_db()
    assert message.attempts == 2
    assert message.claim_token != dead_worker.claim_token


def test_lease_outlives_lane_timeout(shop, warehouse, settings):
    message = queue_product(warehouse, "Main")
    now = timezone.now()

    claimed = claim_message(message.pk, now=now)

    assert claimed.lease_expires_at > now + timedelta(seconds=settings.LANES["master"]["timeout"])


@responses.activate
def test_record_changes_delivered_in_order(shop, warehouse):
    url = f"{BASE_URL}/products/{warehouse.pk}"
    responses.put(url, status=503)
    responses.put(url, status=200)
    older = queue_product(warehouse, "A")
    newer = queue_product(warehouse, "B")

    deliver_message(older.pk)
    blocked = deliver_message(newer.pk)
    make_due(older)
    deliver_message(older.pk)
    make_due(newer)
    delivered = deliver_message(newer.pk)

    assert blocked is None
    assert delivered == OutboundState.DELIVERED
    bodies = [json.loads(call.request.body)["name"] for call in responses.calls]
    assert bodies == ["A", "A", "B"]


@responses.activate
def test_open_circuit_defers_without_attempt(shop, warehouse):
    remote = responses.put(f"{BASE_URL}/products/{warehouse.pk}")
    breaker = circuit_breaker_for(shop)
    for _failure in range(breaker.failure_threshold):
        breaker.record_failure()
    message = queue_product(warehouse, "Main")

    state = deliver_message(message.pk)

    assert state == OutboundState.PENDING
    assert remote.call_count == 0
    message.refresh_from_db()
    assert message.attempts == 0
    assert message.error_code == "circuit_open"
    assert message.next_attempt_at > timezone.now() + timedelta(seconds=30)
