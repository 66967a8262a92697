"""Outbox delivery in batches: claim many due messages at once, send them, record all outcomes.

One claim (`SELECT ... FOR UPDATE SKIP LOCKED LIMIT n` plus one UPDATE) leases up to a batch of
due messages to this worker. They are sent over the connection's kept-alive HTTP session, and
their outcomes are written in one transaction. Per message that is a fraction of a query
instead of the dozen queries and three commits of `delivery.deliver_message`, which stays for
single messages (the admin's retry of a message outside an ordered stream, tasks queued before
batching).

The guarantees are the single path's: a message is sent only by the worker holding its lease,
an outcome is written only while the lease is still held, a record's older message must be
finished before a newer one is claimed, retries and deferrals use the same rules, and
coalescing happens when messages are written (outbox.enqueue_outbound).
"""

import logging
import time
import uuid
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Case, Exists, F, Min, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.sql import update_rows
from integrations import registry
from integrations.errors import CONNECTION_WIDE_CODES, CircuitOpen, RateLimited
from integrations.models import Binding, OutboundMessage, OutboundState, SyncError
from integrations.services.delivery import (
    BATCH_TASK,
    FAILED_ATTEMPT_FIELDS,
    claimable,
    lease_seconds,
    log_retry,
    record_failed_attempt,
    retry_time,
    send,
)
from integrations.services.queue import enqueue_once_on_commit

logger = logging.getLogger(__name__)


# Messages per claim. Large enough that the claim and the outcome transaction cost little per
# message, small enough that a slow remote delays few other messages.
BATCH_SIZE = 50

UNFINISHED = (OutboundState.PENDING, OutboundState.IN_FLIGHT)

# Key of the advisory lock that serializes the claims of ordered streams, on every lane.
ORDERED_CLAIM_LOCK = 0x4B6F6E


def due_messages(lane, now, entities=None, *, with_ordered_streams=True):
    """Messages of `lane` that a worker may claim now, oldest written first.

    Due: pending and past next_attempt_at, or in flight with an expired lease. A message waits
    while an older message for the same record and connection is unfinished, so a record's
    changes arrive in order. At most one message per record is claimable at a time.

    Among the due messages the oldest goes first, not the earliest due. After an outage, the
    messages handed back until the circuit breaker reopens are due later than those written
    during the outage and never claimed, yet the ERP must get the orders in placement order.
    `entities` limits the messages to these domains (the stock loop claims stock and prices),
    and `with_ordered_streams=False` leaves out the ordered streams described below.

    A domain that a connector lists in `ordered_entities` (orders for Odoo) goes out as one
    stream per connection. Its message waits while an older message of the stream is in flight
    or not yet due. So a batch is claimed only after the one before it has been sent. An older
    message that waits for its next attempt after a failure of its own request (a validation
    error, HTTP 500, 409) does not hold up the rest, so one failing order does not stop the
    others. One that failed because the remote system could take no request (the errors of
    CONNECTION_WIDE_CODES) blocks them, so after an outage the orders arrive in placement
    order. A message that support retried is due at once and goes to this claim
    (outbox.retry_outbound_message), so it goes out in its place in the stream.

    NOTE: a timeout counts as a failure of the whole system. A batch that times out on its own
    (too large for Odoo to create within the read timeout, say) holds up the stream, retried
    every 30 s at most, until HELD_STREAM_POLICY's six hours run out.
    """
    older_unfinished = OutboundMessage.objects.filter(
        connection_id=OuterRef("connection_id"),
        content_type_id=OuterRef("content_type_id"),
        object_id=OuterRef("object_id"),
        pk__lt=OuterRef("pk"),
        state__in=UNFINISHED,
    )
    messages = OutboundMessage.objects.filter(lane=lane, connection__enabled=True)
    if entities is not None:
        messages = messages.filter(entity__in=list(entities))
    messages = messages.filter(claimable(now)).filter(~Exists(older_unfinished))

    streams = _ordered_streams(entities)
    if streams and not with_ordered_streams:
        messages = messages.exclude(_in_streams(streams))
    elif streams:
        messages = hold_back_streams(messages, now, lane=lane, streams=streams)
    return messages.order_by("pk")


def hold_back_streams(messages, now, *, lane=None, streams=None):
    """Leave out of `messages` each ordered stream's messages from its first waiting one on.

    `lane` is the lane of the claim: an unfinished message of the stream on another lane stops
    the stream even when due. Without a lane, only messages in flight or not yet due stop it.
    """
    streams = _ordered_streams(None) if streams is None else streams
    if not streams:
        return messages
    for (connection_id, entity), first_waiting in _first_waiting(lane, now, _in_streams(streams)).items():
        messages = messages.exclude(connection_id=connection_id, entity=entity, pk__gte=first_waiting)
    return messages


def _in_streams(streams):
    in_stream = Q()
    for kind, entity in streams:
        in_stream |= Q(connection__kind=kind, entity=entity)
    return in_stream


def _first_waiting(lane, now, in_stream):
    """Return {(connection id, entity): pk of the stream's oldest message that holds up newer ones}.

    That is the oldest message in flight, or pending and not yet due, unless it waits after a
    failure of its own request (see due_messages). An unfinished message on another lane holds
    up the stream too: after a lane override moved a stream's new messages, the older ones on
    the old lane go first. The heads are read once per claim, because a per-row subquery costs a
    scan of the backlog for each due message.

    A message in flight holds up the stream even when an earlier attempt failed. A message that
    support retried keeps its last error, and without this rule the claim after the one that
    took it could send newer messages beside it.

    NOTE: a retried message keeps its last error while pending. While it is due on another lane
    after a lane override, newer messages may overtake it.
    """
    claimable_here = claimable(now) if lane is None else Q(lane=lane) & claimable(now)
    waiting = (
        OutboundMessage.objects.filter(in_stream, state__in=UNFINISHED)
        .filter(Q(state=OutboundState.IN_FLIGHT) | Q(last_error="") | Q(error_code__in=CONNECTION_WIDE_CODES))
        .exclude(claimable_here)
        .values_list("connection_id", "entity")
        .annotate(first=Min("pk"))
        .order_by()
    )
    return {(connection_id, entity): first for connection_id, entity, first in waiting}


def _ordered_streams(entities):
    """Return the (kind, entity) pairs of ordered domains that a claim of `entities` may take."""
    return [(kind, entity) for kind, entity in registry.ordered_streams() if entities is None or entity in entities]


def _may_claim_ordered_streams(entities):
    """Return whether this claim may take messages of ordered streams, taking their lock.

    Only one claim at a time takes ordered streams, whatever its lane. Otherwise two claimers
    would skip each other's locked rows and send two batches of one stream at once. A claim that
    finds the lock taken claims the other messages instead of waiting. The lock is released at
    commit, so the next claim that takes it reads the in-flight state the previous claim committed.

    NOTE: SQLite (the embedded default) has no such lock, so two of its workers may still send
    two batches of a stream at once.
    """
    if not _ordered_streams(entities) or db_connection.vendor != "postgresql":
        return True
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [ORDERED_CLAIM_LOCK])
        return cursor.fetchone()[0]


def claim_due_messages(lane, *, limit=BATCH_SIZE, now=None, entities=None):
    """Lease up to `limit` due messages of `lane` to this worker and count their attempt.

    Two workers claiming at once never get the same message: rows another claim has locked are
    skipped, and rows it has committed are no longer due. Returns the claimed messages with
    their connection loaded, all sharing one claim token.
    """
    now = now or timezone.now()
    with transaction.atomic():
        may_take_streams = _may_claim_ordered_streams(entities)
        messages = list(
            due_messages(lane, now, entities, with_ordered_streams=may_take_streams)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("connection")[:limit]
        )
        if not messages:
            return []

        token = uuid.uuid4().hex
        lease_until = now + timedelta(seconds=lease_seconds(lane))
        ids = [message.pk for message in messages]
        # The claimable condition again, because SQLite (the embedded default) takes no row
        # locks: there the UPDATE itself decides which of two claimers gets a message.
        claimed = OutboundMessage.objects.filter(pk__in=ids).filter(claimable(now)).update(
            # A message taken over from a worker that died holding it may have been sent.
            may_have_reached=Case(When(state=OutboundState.IN_FLIGHT, then=Value(True)), default=F("may_have_reached")),
            state=OutboundState.IN_FLIGHT,
            attempts=F("attempts") + 1,
            first_attempt_at=Coalesce("first_attempt_at", Value(now)),
            lease_expires_at=lease_until,
            claim_token=token,
        )
        if claimed != len(ids):
            mine = set(OutboundMessage.objects.filter(pk__in=ids, claim_token=token).values_list("pk", flat=True))
            messages = [message for message in messages if message.pk in mine]

    for message in messages:
        if message.state == OutboundState.IN_FLIGHT:
            logger.warning(
                "outbound lease expired, taking over",
                extra={"outbound_message_id": message.pk, "attempt": message.attempts + 1},
            )
            message.may_have_reached = True
        message.state = OutboundState.IN_FLIGHT
        message.attempts += 1
        message.first_attempt_at = message.first_attempt_at or now
        message.lease_expires_at = lease_until
        message.claim_token = token
    return messages


def deliver_claimed(messages, *, send_window_seconds):
    """Send claimed messages and record their outcomes in one transaction; return counts.

    The counts are keyed delivered, skipped, retry (failed, tried again later), deferred
    (handed back unsent) and failed (a sync error now).

    No send starts later than `send_window_seconds` after the call, so every send ends long
    before the lease expires; messages left over are handed back unsent. When the local rate
    limit or the open circuit of a connection stops one message before it is sent, the rest
    of that connection's messages are handed back too instead of each waiting in turn.

    A connector that sends some domains many at a time (its `batch_entities`, such as stock in
    one Shopware Sync API call) gets those messages first, per connection, through its
    `deliver_batch`, so a stock figure in a batch never waits behind the orders in it.
    """
    if not messages:
        return {}
    bindings = _bindings_of(messages)
    deadline = time.monotonic() + send_window_seconds
    held_back = {}
    outcomes = []
    due = []
    for message in messages:
        binding = bindings.get(_record_key(message))
        if binding is not None and binding.pushed_fingerprint == message.fingerprint:
            outcomes.append((message, OutboundState.SKIPPED, ""))
        else:
            due.append(message)

    groups, singles = _batch_groups(due)
    for group in groups:
        outcomes.extend(_send_group(group, held_back, deadline))
    for message in singles:
        outcomes.append(_send_one(message, held_back, deadline))
    return _record_outcomes(outcomes, bindings)


def _batch_groups(messages):
    """Split messages into per-connection groups its connector sends at once, and the rest."""
    groups, singles = {}, []
    for message in messages:
        connector = message.connection.connector
        if message.entity in getattr(connector, "batch_entities", ()):
            groups.setdefault(message.connection_id, []).append(message)
        else:
            singles.append(message)
    return list(groups.values()), singles


def _stopped_before_send(error):
    """Return whether Kontor's own breaker or limiter stopped the call before it was sent."""
    return isinstance(error, (CircuitOpen, RateLimited)) and error.status is None


def _send_one(message, held_back, deadline):
    if message.connection_id in held_back:
        return (message, OutboundState.PENDING, held_back[message.connection_id])
    if time.monotonic() > deadline:
        return (message, OutboundState.PENDING, None)
    try:
        remote_id = send([message], lambda: message.connection.connector.deliver(message))
    except Exception as error:
        # Any failure, a bug included, must end as a retry or a visible sync error.
        if _stopped_before_send(error):
            held_back[message.connection_id] = error
            return (message, OutboundState.PENDING, error)
        return (message, OutboundState.FAILED, error)
    return (message, OutboundState.DELIVERED, str(remote_id or "")[:255])


def _send_group(group, held_back, deadline):
    """Send one connection's batchable messages with one deliver_batch call; return their outcomes.

    deliver_batch returns {message pk: remote id or the exception of that item}. An exception
    raised by the call itself is the outcome of every message in the group.
    """
    connection_id = group[0].connection_id
    if connection_id in held_back:
        return [(message, OutboundState.PENDING, held_back[connection_id]) for message in group]
    if time.monotonic() > deadline:
        return [(message, OutboundState.PENDING, None) for message in group]
    try:
        results = send(group, lambda: group[0].connection.connector.deliver_batch(group))
    except Exception as error:
        if _stopped_before_send(error):
            held_back[connection_id] = error
            return [(message, OutboundState.PENDING, error) for message in group]
        return [(message, OutboundState.FAILED, error) for message in group]

    outcomes = []
    for message in group:
        result = results.get(message.pk)
        if isinstance(result, Exception):
            outcomes.append((message, OutboundState.FAILED, result))
        else:
            outcomes.append((message, OutboundState.DELIVERED, str(result or "")[:255]))
    return outcomes


def _record_key(message):
    return (message.connection_id, message.content_type_id, message.object_id)


def _bindings_of(messages):
    """Load the bindings of the batch's records in one query, keyed like _record_key."""
    bindings = Binding.objects.filter(
        connection_id__in={message.connection_id for message in messages},
        content_type_id__in={message.content_type_id for message in messages},
        object_id__in={message.object_id for message in messages},
    )
    return {(binding.connection_id, binding.content_type_id, binding.object_id): binding for binding in bindings}


def _record_outcomes(outcomes, bindings):
    now = timezone.now()
    counts = Counter()
    token = outcomes[0][0].claim_token
    finished = [(message, state, detail) for message, state, detail in outcomes if state in (OutboundState.DELIVERED, OutboundState.SKIPPED)]
    unfinished = [(message, state, detail) for message, state, detail in outcomes if state not in (OutboundState.DELIVERED, OutboundState.SKIPPED)]
    with transaction.atomic():
        # The lease check and the writes of all finished messages are one statement, because
        # every delivered message has a remote id of its own and would otherwise take an UPDATE
        # (see core.sql).
        owned = _finish_owned(finished, token, now)
        if unfinished:
            owned |= set(
                OutboundMessage.objects.select_for_update()
                .filter(pk__in=[message.pk for message, _state, _detail in unfinished], claim_token=token, state=OutboundState.IN_FLIGHT)
                .values_list("pk", flat=True)
            )
        pushed = []
        shared_retries = {}
        for message, state, detail in outcomes:
            if message.pk not in owned:
                logger.warning("outbound result dropped, lease lost", extra={"outbound_message_id": message.pk})
                continue
            if state in (OutboundState.DELIVERED, OutboundState.SKIPPED):
                if state == OutboundState.DELIVERED:
                    pushed.append((message, detail))
                counts[str(state)] += 1
            elif state == OutboundState.PENDING:
                _hand_back(message, detail, now)
                counts["deferred"] += 1
            else:
                _fail_attempt(message, detail, now, shared_retries)
                counts["retry" if message.state == OutboundState.PENDING else "failed"] += 1

        _record_pushed(pushed, bindings, now)
        # Only a message that failed before has an open sync error, and a failure stores its
        # last_error, which a retry from the admin keeps while it resets the attempts.
        retried_ids = [
            message.pk for message, _state, _detail in finished
            if message.pk in owned and (message.last_error or message.attempts > 1)
        ]
        if retried_ids:
            SyncError.objects.filter(resolved=False, outbound_message_id__in=retried_ids).update(
                resolved=True, resolved_at=now, next_retry_at=None
            )
    return dict(counts)


def _finish_owned(finished, token, now):
    """Mark delivered and skipped messages finished where this claim still holds their lease; return their pks."""
    return update_rows(
        OutboundMessage,
        [(message.pk, str(state), detail) for message, state, detail in finished],
        "state = v.column2, remote_id = v.column3, delivered_at = CASE WHEN v.column2 = %s THEN %s ELSE NULL END, "
        "may_have_reached = CASE WHEN v.column2 = %s THEN %s ELSE may_have_reached END, "
        "lease_expires_at = NULL, error_code = '', last_error = ''",
        set_params=[str(OutboundState.DELIVERED), now, str(OutboundState.DELIVERED), True],
        condition="t.claim_token = %s AND t.state = %s",
        condition_params=[token, str(OutboundState.IN_FLIGHT)],
        returning=True,
    )


def _record_pushed(pushed, bindings, now):
    """Store the pushed fingerprints, as bindings.record_pushed does for one message."""
    changed, created = [], []
    for message, remote_id in pushed:
        binding = bindings.get(_record_key(message))
        if binding is None:
            if not remote_id:
                # Without a remote id there is nothing to bind yet; the next pull binds it.
                continue
            binding = Binding(
                connection_id=message.connection_id,
                content_type_id=message.content_type_id,
                object_id=message.object_id,
                external_id=remote_id,
            )
            created.append(binding)
        else:
            changed.append(binding)
        binding.pushed_fingerprint = message.fingerprint
        binding.pushed_at = now
    if changed:
        update_rows(
            Binding, [(binding.pk, binding.pushed_fingerprint) for binding in changed],
            "pushed_fingerprint = v.column2, pushed_at = %s", set_params=[now],
        )
    if created:
        # Another worker may have bound the record meanwhile. Its row stays, and it gets this
        # push's fingerprint, as bindings.record_pushed does.
        Binding.objects.bulk_create(created, ignore_conflicts=True)
        for binding in created:
            Binding.objects.filter(
                connection_id=binding.connection_id, content_type_id=binding.content_type_id, object_id=binding.object_id
            ).update(pushed_fingerprint=binding.pushed_fingerprint, pushed_at=now)


def _hand_back(message, error, now):
    """Release a message unsent, without counting the attempt, after the limiter's or breaker's wait."""
    delay = max(float(getattr(error, "retry_after", 0) or 0), 1.0) if error is not None else 0.0
    OutboundMessage.objects.filter(pk=message.pk).update(
        state=OutboundState.PENDING,
        attempts=F("attempts") - 1,
        next_attempt_at=now + timedelta(seconds=delay),
        lease_expires_at=None,
        error_code=getattr(error, "code", ""),
        may_have_reached=message.may_have_reached,
    )
    logger.info(
        "outbound message deferred",
        extra={"outbound_message_id": message.pk, "code": getattr(error, "code", ""), "delay_seconds": delay},
    )


def _fail_attempt(message, error, now, shared_retries):
    """Record a failed attempt; the messages that one call failed together share the first one's retry time.

    A batch of orders that Odoo could not take would otherwise come back a few at a time, as each
    falls due, because an ordered stream waits at its oldest message that is not due yet.
    """
    retry_at = retry_time(message, error, now=now)
    if retry_at is not None:
        retry_at = shared_retries.setdefault(id(error), retry_at)
    record_failed_attempt(message, error, retry_at)
    if retry_at is not None:
        log_retry(message, retry_at)
    message.save(update_fields=FAILED_ATTEMPT_FIELDS)


def _sending_loop_key(entity):
    return f"kontor:outbox:sending-loop:{entity}"


def announce_sending_loop(entities, seconds):
    """Record that a loop sends the due messages of these domains for the next `seconds`.

    A loop that sends several times a second (the Odoo stock loop) calls it on every step, so
    new messages of these domains queue no lane task of their own (see sending_loop_runs).
    """
    cache.set_many({_sending_loop_key(entity): True for entity in entities}, timeout=seconds)


def sending_loop_runs(entity):
    """Return whether a loop announced that it sends this domain's due messages now."""
    return bool(cache.get(_sending_loop_key(entity)))


def deliver_due_messages(lane, *, batch_size=BATCH_SIZE, entities=None, requeue=True):
    """Claim and deliver batches of `lane`'s due messages until none is left; return the counts.

    Safe to run twice and in several workers at once. A task claims no new batch after a quarter
    of the lane's task timeout and queues its successor instead, and no send starts later than
    half the timeout, so django-q2 kills a task only when a send hangs past its read timeout.
    `entities` limits the claims to these domains; `requeue=False` stops at the budget without
    queueing a successor, for a caller that runs again soon anyway (the stock loop).
    """
    budget = settings.LANES[lane]["timeout"] / 4
    started = time.monotonic()
    totals = Counter()
    while True:
        messages = claim_due_messages(lane, limit=batch_size, entities=entities)
        if not messages:
            break
        counts = deliver_claimed(messages, send_window_seconds=budget)
        totals.update(counts)
        logger.info("outbound batch finished", extra={"lane": lane, "claimed": len(messages), **counts})
        if time.monotonic() - started > budget:
            if requeue:
                enqueue_once_on_commit(BATCH_TASK, lane, lane=lane)
            break
    return dict(totals)
