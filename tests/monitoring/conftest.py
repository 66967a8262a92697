import uuid
from datetime import UTC, datetime

import pytest
import redis
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache

from catalog.models import Product
from integrations.models import (
    Connection,
    InboundEvent,
    InboundSource,
    InboundState,
    OutboundMessage,
    OutboundState,
    SyncDirection,
    SyncError,
    SyncRun,
    SyncRunKind,
    SyncRunState,
)
from integrations.services.clients import circuit_breaker_for

# A Wednesday, 10:00 in Berlin.
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clean_shared_state():
    """Forget circuit states and HTTP call counters: connection ids repeat across tests."""
    if settings.REDIS_URL:
        client = redis.Redis.from_url(settings.REDIS_URL)
        for key in client.scan_iter("kontor:circuit:*"):
            client.delete(key)
    cache.clear()
    yield


def make_connection(slug="shop", **fields):
    values = {"kind": "shopware", "name": slug.replace("-", " ").title(), "slug": slug, "base_url": f"http://{slug}.invalid/api"}
    values.update(fields)
    return Connection.objects.create(**values)


def inbound_event(connection, *, entity="orders", received_at=NOW, state=InboundState.PROCESSED, processed_at=None, attempts=1):
    return InboundEvent.objects.create(
        connection=connection,
        entity=entity,
        external_id=uuid.uuid4().hex[:8],
        dedup_key=uuid.uuid4().hex,
        source=InboundSource.WEBHOOK,
        payload={},
        received_at=received_at,
        state=state,
        processed_at=processed_at,
        attempts=attempts,
    )


def outbound_message(connection, *, entity="stock", created_at=NOW, state=OutboundState.PENDING, delivered_at=None, attempts=0):
    message = OutboundMessage.objects.create(
        connection=connection,
        entity=entity,
        content_type=ContentType.objects.get_for_model(Product),
        object_id="1",
        payload={},
        fingerprint="f",
        idempotency_key=uuid.uuid4().hex,
        lane="hot",
        state=state,
        next_attempt_at=created_at,
        delivered_at=delivered_at,
        attempts=attempts,
    )
    # created_at is set on insert; tests place it on their own clock.
    OutboundMessage.objects.filter(pk=message.pk).update(created_at=created_at)
    message.refresh_from_db()
    return message


def sync_error(connection, *, created_at=NOW, code="validation_failed", message="Price is missing.", **fields):
    values = {"direction": SyncDirection.OUTBOUND, "entity": "products", "external_id": "SKU-1", **fields}
    error = SyncError.objects.create(connection=connection, code=code, message=message, **values)
    SyncError.objects.filter(pk=error.pk).update(created_at=created_at)
    error.refresh_from_db()
    return error


def sync_run(connection, *, kind=SyncRunKind.PULL, state=SyncRunState.SUCCEEDED, started_at=NOW, finished_at=NOW):
    return SyncRun.objects.create(connection=connection, kind=kind, entity="products", state=state, started_at=started_at, finished_at=finished_at)


def open_circuit(connection):
    breaker = circuit_breaker_for(connection)
    for _ in range(breaker.failure_threshold):
        breaker.record_failure()
    return breaker
