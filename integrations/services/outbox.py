"""The outbox: outbound messages written in the same transaction as the canonical change."""

import logging
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integrations.domains import COALESCED_DOMAINS, Domain
from integrations.models import (
    Binding,
    ConnectionEntity,
    Direction,
    OutboundAction,
    OutboundMessage,
    OutboundState,
)
from integrations.registry import UnknownConnector
from integrations.services.batches import BATCH_TASK, sending_loop_runs
from integrations.services.bindings import fingerprint_of
from integrations.services.delivery import DELIVER_TASK, in_ordered_stream
from integrations.services.queue import enqueue_on_commit, enqueue_once_on_commit

logger = logging.getLogger(__name__)


class OutsideTransaction(RuntimeError):
    """enqueue_outbound was called without a surrounding transaction."""


# {(entity, origin id): subscriptions} while remembered_subscriptions() runs.
_remembered = ContextVar("remembered_subscriptions", default=None)


@contextmanager
def remembered_subscriptions():
    """Read the subscriptions of each entity and origin once inside the block.

    For a batch of changes in one transaction, such as a batch of orders, each of which would
    otherwise read the same subscriptions again. A nested block uses the outer one's.
    """
    if _remembered.get() is not None:
        yield
        return
    token = _remembered.set({})
    try:
        yield
    finally:
        _remembered.reset(token)


def subscribed_entities(entity, origin=None):
    """Return the enabled connection entities that push `entity`, the origin connection excluded."""
    remembered = _remembered.get()
    key = (str(entity), origin.pk if origin is not None else None)
    if remembered is not None and key in remembered:
        return list(remembered[key])
    subscriptions = _read_subscriptions(entity, origin)
    if remembered is not None:
        remembered[key] = subscriptions
    return list(subscriptions)


def _read_subscriptions(entity, origin):
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
    return enqueue_outbound_many([(record, payload)], entity, origin=origin, action=action)


def enqueue_outbound_many(items, entity, *, origin=None, action=OutboundAction.UPSERT, subscriptions=None):
    """Write the outbound messages of many records, as enqueue_outbound does for each; return them.

    `items` is a list of (record, payload). `subscriptions` is subscribed_entities(entity, origin)
    when the caller has read it already. The subscriptions are read once, and the pending
    messages of coalesced domains are superseded with one lock and one UPDATE. All new messages
    are inserted with one statement, so a change of many products costs a few queries in all.
    """
    if not transaction.get_connection().in_atomic_block:
        raise OutsideTransaction(
            "enqueue_outbound must be called inside the transaction that writes the canonical "
            "change; wrap both in transaction.atomic()."
        )
    entity = Domain(entity).value
    if subscriptions is None:
        subscriptions = subscribed_entities(entity, origin) if items else []
    if not subscriptions:
        return []

    now = timezone.now()
    rows = []
    for record, payload in items:
        content_type = ContentType.objects.get_for_model(record)
        fingerprint = fingerprint_of({"action": action, "payload": payload})
        rows.append((content_type, str(record.pk), payload, fingerprint))

    if entity in COALESCED_DOMAINS:
        _supersede_pending(subscriptions, entity, rows)

    windows = {subscription.pk: batch_window(subscription) for subscription in subscriptions}
    messages = [
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
            next_attempt_at=now + windows[subscription.pk],
        )
        for content_type, object_id, payload, fingerprint in rows
        for subscription in subscriptions
    ]
    OutboundMessage.objects.bulk_create(messages)
    # One batch task per lane and transaction delivers these and whatever else is due. Messages
    # held back for a batch window, or of a domain that a running loop sends, are left to that loop.
    if messages and not sending_loop_runs(entity):
        for lane in sorted({message.lane for message in messages if message.next_attempt_at <= now}):
            enqueue_once_on_commit(BATCH_TASK, lane, lane=lane)
    return messages


def batch_window(subscription):
    """Return how long a new message of this subscription waits before it is due, as a timedelta.

    A connector whose own loop sends a domain many at a time has a method
    `batch_window(connection, entity)` that returns seconds. Its messages wait that long, so the
    loop finds many of them at once, and no lane task is queued for them.
    """
    try:
        window = getattr(subscription.connection.connector, "batch_window", None)
    except UnknownConnector:
        window = None
    seconds = window(subscription.connection, subscription.entity) if window is not None else 0
    return timedelta(seconds=seconds)


def _supersede_pending(subscriptions, entity, rows):
    """Mark the pending messages of these records superseded, locking them in id order first.

    One UPDATE over many rows would lock them in whatever order the plan scans them, and two
    transactions superseding overlapping sets could then deadlock.
    """
    object_ids = {}
    for content_type, object_id, _payload, _fingerprint in rows:
        object_ids.setdefault(content_type.pk, []).append(object_id)
    records = Q()
    for content_type_id, ids in object_ids.items():
        records |= Q(content_type_id=content_type_id, object_id__in=ids)
    pending = OutboundMessage.objects.filter(
        records,
        connection_id__in=[subscription.connection_id for subscription in subscriptions],
        entity=entity,
        state=OutboundState.PENDING,
    )
    ids = list(pending.select_for_update(of=("self",)).order_by("pk").values_list("pk", flat=True))
    if not ids:
        return
    superseded = OutboundMessage.objects.filter(pk__in=ids, state=OutboundState.PENDING).update(state=OutboundState.SUPERSEDED)
    logger.debug("outbound messages superseded", extra={"entity": entity, "count": superseded})


# States of a message that is not on its way and may never have left Kontor.
NOT_UNDER_WAY_STATES = (OutboundState.PENDING, OutboundState.SUPERSEDED, OutboundState.WITHDRAWN)


def withdraw_unsent(record, connection, entity):
    """Withdraw the messages that would send `record` to `connection`; return whether it never got it.

    True means that `connection` was meant to receive the record and has received nothing of it:
    there is no binding, and no attempt of any message for it may have reached `connection`
    (see _never_sent). Those still pending are marked withdrawn. False changes nothing: the
    record is bound, a message for it is in flight, delivered or failed, an attempt may have
    reached `connection`, or there is no message, so Kontor cannot tell whether `connection` has
    the record. Call it inside the transaction that acts on the result.
    """
    content_type = ContentType.objects.get_for_model(record)
    object_id = str(record.pk)
    if Binding.objects.filter(connection=connection, content_type=content_type, object_id=object_id).exists():
        return False

    # The row locks make a claim that starts now wait for this transaction, and then find the
    # messages withdrawn. A claim that came first has set them in flight, and the result is False.
    messages = list(
        OutboundMessage.objects.filter(connection=connection, entity=entity, content_type=content_type, object_id=object_id)
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    if not messages or not all(_never_sent(message) for message in messages):
        return False

    pending = [message.pk for message in messages if message.state == OutboundState.PENDING]
    OutboundMessage.objects.filter(pk__in=pending).update(state=OutboundState.WITHDRAWN)
    logger.info(
        "outbound messages withdrawn before sending",
        extra={"connection_id": connection.pk, "entity": entity, "object_id": object_id, "outbound_message_ids": pending},
    )
    return True


def _never_sent(message):
    """Return whether no attempt ever sent `message` in a way the remote system may have acted on.

    An attempt that only met an outage (no connection, 503, 429, Kontor's breaker or limiter)
    sent nothing the remote system carried out. Any other attempt may have: a timeout after the
    create, a worker that died while sending, or a failed confirm after a good create.
    """
    return message.state in NOT_UNDER_WAY_STATES and not message.may_have_reached


def retry_outbound_message(message, now=None):
    """Mark `message` due now with fresh attempts and queue its delivery at commit.

    Returns whether the message joined an ordered stream. Such a message is left to the lane's
    batch task, whose claim sends the stream's due messages oldest first (batches.due_messages).
    A delivery task of its own would send it beside the stream's newer messages, and either could
    reach the remote system first. Any other message gets a delivery task of its own, so it is
    sent at once. Call it inside the transaction that records the retry.
    """
    now = now or timezone.now()
    message.state = OutboundState.PENDING
    message.attempts = 0
    message.first_attempt_at = None
    message.next_attempt_at = now
    message.lease_expires_at = None
    message.claim_token = ""
    message.save(update_fields=[
        "state", "attempts", "first_attempt_at", "next_attempt_at", "lease_expires_at", "claim_token",
    ])
    if in_ordered_stream(message):
        enqueue_once_on_commit(BATCH_TASK, message.lane, lane=message.lane)
        return True
    enqueue_on_commit(DELIVER_TASK, message.pk, lane=message.lane)
    return False
