"""Delivery of outbound messages: claim with a lease, send once, record the result.

Attempts, backoff and next-attempt times live in the OutboundMessage row (django-q2 only
redelivers a task whose worker died). A claim is a lease: a message whose worker died is taken
over after lease_expires_at, and the lease is longer than the lane's task timeout, after which
django-q2 has killed that worker, so two workers never send the same message at once.
"""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from integrations import registry
from integrations.errors import CircuitOpen, ConnectorError, RateLimited
from integrations.http import recording_sends
from integrations.models import OutboundMessage, OutboundState, SyncDirection
from integrations.retry import DELIVERY_POLICY, HELD_STREAM_POLICY
from integrations.services.bindings import push_is_redundant, record_pushed
from integrations.services.queue import enqueue_on_commit, enqueue_once_on_commit
from integrations.services.syncruns import record_sync_error, resolve_sync_error_of

logger = logging.getLogger(__name__)

DELIVER_TASK = "integrations.tasks.deliver_outbound_message"
BATCH_TASK = "integrations.tasks.deliver_due_messages"


def claimable(now):
    """Return the filter for messages a worker may claim now.

    That is pending and due, or in flight with an expired lease.
    """
    return Q(state=OutboundState.PENDING, next_attempt_at__lte=now) | Q(state=OutboundState.IN_FLIGHT, lease_expires_at__lt=now)


# Added to the lane's task timeout for the lease, to cover clock skew between workers and the
# time between claiming and django-q2 starting its timeout.
LEASE_MARGIN_SECONDS = 30

# A message whose older sibling for the same record is still pending or in flight waits this
# long before it is tried again, so a record's changes arrive in order.
ORDER_WAIT_SECONDS = 5


def lease_seconds(lane):
    return settings.LANES[lane]["timeout"] + LEASE_MARGIN_SECONDS


def claim_message(message_id, now=None):
    """Lease a due message to this worker and count the attempt; None if it is not claimable.

    Not claimable: delivered, failed, superseded, not yet due, held by a live lease, locked by
    another worker right now, its connection disabled, or an older message for the same record
    not finished yet.
    """
    now = now or timezone.now()
    with transaction.atomic():
        message = (
            OutboundMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("connection")
            .filter(pk=message_id)
            .filter(claimable(now))
            .first()
        )
        if message is None or not message.connection.enabled:
            return None

        older_unfinished = OutboundMessage.objects.filter(
            connection_id=message.connection_id,
            content_type_id=message.content_type_id,
            object_id=message.object_id,
            pk__lt=message.pk,
            state__in=[OutboundState.PENDING, OutboundState.IN_FLIGHT],
        ).exists()
        if older_unfinished:
            message.next_attempt_at = now + timedelta(seconds=ORDER_WAIT_SECONDS)
            message.save(update_fields=["next_attempt_at"])
            return None

        if message.state == OutboundState.IN_FLIGHT:
            logger.warning(
                "outbound lease expired, taking over",
                extra={"outbound_message_id": message.pk, "attempt": message.attempts},
            )
            # The worker that died holding it may have sent it.
            message.may_have_reached = True
        message.state = OutboundState.IN_FLIGHT
        message.attempts += 1
        message.first_attempt_at = message.first_attempt_at or now
        message.lease_expires_at = now + timedelta(seconds=lease_seconds(message.lane))
        message.claim_token = uuid.uuid4().hex
        message.save(update_fields=["state", "attempts", "first_attempt_at", "lease_expires_at", "claim_token", "may_have_reached"])
    return message


def send(messages, call):
    """Run `call`, the connector's send of `messages`, and return its result.

    Notes on each message whether a request may have reached the remote system, also when the
    call raises, so that the attempt's outcome saves it. A batch call notes it on all of them.
    """
    with recording_sends() as sends:
        try:
            return call()
        finally:
            if sends.may_have_reached:
                for message in messages:
                    message.may_have_reached = True


def deliver_message(message_id):
    """Deliver one outbound message if it is due; return its new state, or None if not claimed.

    Safe to run twice and from several workers: only the worker holding the lease sends.
    """
    message = claim_message(message_id)
    if message is None:
        return None

    if push_is_redundant(message.connection, message.content_type_id, message.object_id, message.fingerprint):
        return _finish(message, OutboundState.SKIPPED)

    try:
        remote_id = send([message], lambda: message.connection.connector.deliver(message))
    except (CircuitOpen, RateLimited) as error:
        if error.status is None:
            # Kontor's own breaker or limiter stopped the call before it was sent.
            return _release(message, error)
        return _fail_attempt(message, error)
    except Exception as error:
        # Any failure, a bug included, must end as a retry or a visible sync error.
        return _fail_attempt(message, error)
    return _finish(message, OutboundState.DELIVERED, remote_id=remote_id or "")


def _owned(message):
    """Lock the message row if this worker still holds its lease; None if it was taken over."""
    return (
        OutboundMessage.objects.select_for_update(of=("self",))
        .filter(pk=message.pk, claim_token=message.claim_token, state=OutboundState.IN_FLIGHT)
        .first()
    )


def _finish(message, state, remote_id=""):
    now = timezone.now()
    with transaction.atomic():
        if _owned(message) is None:
            logger.warning("outbound result dropped, lease lost", extra={"outbound_message_id": message.pk})
            return None
        message.state = state
        message.delivered_at = now if state == OutboundState.DELIVERED else None
        message.may_have_reached = message.may_have_reached or state == OutboundState.DELIVERED
        message.remote_id = str(remote_id)[:255]
        message.lease_expires_at = None
        message.error_code = ""
        message.last_error = ""
        message.save(update_fields=[
            "state", "delivered_at", "may_have_reached", "remote_id", "lease_expires_at", "error_code", "last_error",
        ])
        if state == OutboundState.DELIVERED:
            record_pushed(message.connection, message.content_type, message.object_id, message.fingerprint, remote_id)
        resolve_sync_error_of(outbound_message=message)
        _queue_next_for_record(message)

    logger.info(
        "outbound message finished",
        extra={"outbound_message_id": message.pk, "connection_id": message.connection_id, "state": state},
    )
    return state


def _release(message, error):
    """Hand a message back unsent, without counting the attempt, until the limiter or breaker allows."""
    delay = max(float(error.retry_after or 0), 1.0)
    with transaction.atomic():
        if _owned(message) is None:
            return None
        message.state = OutboundState.PENDING
        message.attempts -= 1
        message.next_attempt_at = timezone.now() + timedelta(seconds=delay)
        message.lease_expires_at = None
        message.error_code = error.code
        message.save(update_fields=["state", "attempts", "next_attempt_at", "lease_expires_at", "error_code", "may_have_reached"])
    logger.info(
        "outbound message deferred",
        extra={"outbound_message_id": message.pk, "code": error.code, "delay_seconds": round(delay, 3)},
    )
    return OutboundState.PENDING


def _fail_attempt(message, error):
    retry_at = retry_time(message, error)

    with transaction.atomic():
        if _owned(message) is None:
            return None
        record_failed_attempt(message, error, retry_at)
        if retry_at is None:
            _queue_next_for_record(message)
        message.save(update_fields=FAILED_ATTEMPT_FIELDS)

    if retry_at is not None:
        log_retry(message, retry_at)
    return message.state


# The fields record_failed_attempt sets, for save(update_fields=...).
FAILED_ATTEMPT_FIELDS = ["state", "next_attempt_at", "lease_expires_at", "error_code", "last_error", "may_have_reached"]


def in_ordered_stream(message):
    """Return whether `message` belongs to an ordered stream, such as orders to Odoo."""
    return (message.connection.kind, message.entity) in registry.ordered_streams()


def retry_time(message, error, now=None):
    """Return when a failed message is tried again, or None when it has no attempt left.

    Only ConnectorErrors are retried. Any other exception is a bug in Kontor, so it is logged
    with its traceback and the message fails at once. A message of an ordered stream that failed
    because the remote system could take no request holds up its stream (batches.due_messages),
    so it follows the shorter HELD_STREAM_POLICY.
    """
    if isinstance(error, ConnectorError):
        policy = HELD_STREAM_POLICY if error.connection_wide and in_ordered_stream(message) else DELIVERY_POLICY
        return policy.next_attempt_at(error, message.attempts, message.first_attempt_at, now=now)
    logger.error(
        "outbound delivery failed",
        exc_info=(type(error), error, error.__traceback__),
        extra={"outbound_message_id": message.pk},
    )
    return None


def record_failed_attempt(message, error, retry_at):
    """Set a failed attempt's outcome on `message` without saving it: pending until `retry_at`, or failed.

    A failed message also gets its sync error, written in the caller's transaction.
    """
    message.lease_expires_at = None
    message.error_code = getattr(error, "code", "internal_error")
    message.last_error = str(error)[:2000]
    if retry_at is not None:
        message.state = OutboundState.PENDING
        message.next_attempt_at = retry_at
        return
    message.state = OutboundState.FAILED
    record_sync_error(
        message.connection,
        SyncDirection.OUTBOUND,
        error,
        entity=message.entity,
        content_type=message.content_type,
        object_id=message.object_id,
        payload=message.payload,
        attempts=message.attempts,
        outbound_message=message,
    )


def log_retry(message, retry_at):
    logger.warning(
        "outbound retry scheduled",
        extra={
            "outbound_message_id": message.pk,
            "attempt": message.attempts,
            "code": message.error_code,
            "next_attempt_at": retry_at.isoformat(),
        },
    )


def _queue_next_for_record(message):
    """Queue the oldest pending message for the same record, which waited for this one.

    A message of an ordered stream (orders to Odoo) is left to the lane's batch task, whose
    claim also waits for the older messages of the stream (see batches.due_messages).
    """
    following = (
        OutboundMessage.objects.filter(
            connection_id=message.connection_id,
            content_type_id=message.content_type_id,
            object_id=message.object_id,
            state=OutboundState.PENDING,
            pk__gt=message.pk,
        )
        .order_by("pk")
        .values_list("pk", "lane")
        .first()
    )
    if following is not None:
        OutboundMessage.objects.filter(pk=following[0]).update(next_attempt_at=timezone.now())
        if message.entity in message.connection.connector.ordered_entities:
            enqueue_once_on_commit(BATCH_TASK, following[1], lane=following[1])
        else:
            enqueue_on_commit(DELIVER_TASK, following[0], lane=following[1])


def requeue_due_messages(now=None):
    """Queue a batch delivery task on each lane with due messages; return how many messages are due.

    Run periodically: it is what rescues a message whose worker died or whose queue entry was
    lost. The batch task claims the due messages with the rules of batches.due_messages. A task
    per message would deliver a backlog one message at a time, and out of order for an ordered
    stream such as orders to Odoo.
    """
    now = now or timezone.now()
    due_per_lane = (
        OutboundMessage.objects.filter(connection__enabled=True)
        .filter(claimable(now))
        .values_list("lane")
        .annotate(due=Count("pk"))
        .order_by("lane")
    )
    count = 0
    for lane, due in due_per_lane:
        enqueue_on_commit(BATCH_TASK, lane, lane=lane)
        count += due
    return count
