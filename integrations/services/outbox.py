"""The outbox: outbound messages written in the same transaction as the canonical change."""

import logging
import uuid

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from integrations.domains import COALESCED_DOMAINS, Domain
from integrations.models import (
    ConnectionEntity,
    Direction,
    OutboundAction,
    OutboundMessage,
    OutboundState,
)
from integrations.registry import UnknownConnector
from integrations.services.bindings import fingerprint_of
from integrations.services.queue import enqueue_once_on_commit

logger = logging.getLogger(__name__)

BATCH_TASK = "integrations.tasks.deliver_due_messages"


class OutsideTransaction(RuntimeError):
    """enqueue_outbound was called without a surrounding transaction."""


def subscribed_entities(entity, origin=None):
    """Return the enabled connection entities that push `entity`, the origin connection excluded."""
    subscriptions = (
        ConnectionEntity.objects.filter(
            entity=entity,
            enabled=True,
            direction__in=[Direction.OUT, Direction.BOTH],
            connection__enabled=True,
        )
        .select_related("connection")
        .order_by("connection_id")
    )
    if origin is not None:
        subscriptions = subscriptions.exclude(connection=origin)
    return [subscription for subscription in subscriptions if _connector_writes(subscription)]


def _connector_writes(subscription):
    try:
        connector = subscription.connection.connector
    except UnknownConnector:
        logger.warning(
            "outbound skipped for unknown connector",
            extra={"connection_id": subscription.connection_id, "kind": subscription.connection.kind},
        )
        return False
    return subscription.entity in connector.writes


def enqueue_outbound(record, entity, payload, *, origin=None, action=OutboundAction.UPSERT):
    """Write one outbound message per connection that subscribes to `entity`; return them.

    Must run inside the transaction that writes the canonical change, so both commit or
    neither does. `origin` is the connection the change came from; it gets no echo. For
    coalesced domains (stock, prices) pending messages for the same record and connection
    are marked superseded, so only the latest value is sent. A batch delivery task is queued
    after commit on each connection entity's lane.
    """
    if not transaction.get_connection().in_atomic_block:
        raise OutsideTransaction(
            "enqueue_outbound must be called inside the transaction that writes the canonical "
            "change; wrap both in transaction.atomic()."
        )
    entity = Domain(entity).value
    content_type = ContentType.objects.get_for_model(record)
    object_id = str(record.pk)
    fingerprint = fingerprint_of({"action": action, "payload": payload})
    now = timezone.now()

    messages = []
    for subscription in subscribed_entities(entity, origin):
        if entity in COALESCED_DOMAINS:
            superseded = OutboundMessage.objects.filter(
                connection=subscription.connection,
                entity=entity,
                content_type=content_type,
                object_id=object_id,
                state=OutboundState.PENDING,
            ).update(state=OutboundState.SUPERSEDED)
            if superseded:
                logger.debug(
                    "outbound messages superseded",
                    extra={"connection_id": subscription.connection_id, "object_id": object_id, "count": superseded},
                )
        messages.append(
            OutboundMessage(
                connection=subscription.connection,
                entity=entity,
                content_type=content_type,
                object_id=object_id,
                action=action,
                payload=payload,
                fingerprint=fingerprint,
                idempotency_key=uuid.uuid4().hex,
                lane=subscription.effective_lane,
                next_attempt_at=now,
            )
        )

    OutboundMessage.objects.bulk_create(messages)
    # One batch task per lane and transaction delivers these and whatever else is due.
    for lane in sorted({message.lane for message in messages}):
        enqueue_once_on_commit(BATCH_TASK, lane, lane=lane)
    return messages
