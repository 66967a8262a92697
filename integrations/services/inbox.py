"""The inbox: every webhook and pulled item is stored raw, deduplicated, then processed once."""

import logging
from collections import defaultdict
from contextlib import nullcontext
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db import connection as db_connection
from django.db.models import F
from django.utils import timezone

from integrations.errors import ConnectorError
from integrations.itemerrors import ItemError
from integrations.models import InboundEvent, InboundSource, InboundState, SyncDirection
from integrations.retry import DELIVERY_POLICY
from integrations.services.lanes import lane_for
from integrations.services.outbox import remembered_subscriptions
from integrations.services.queue import enqueue_on_commit
from integrations.services.syncruns import record_sync_error, resolve_sync_error_of

logger = logging.getLogger(__name__)

PROCESS_TASK = "integrations.tasks.process_inbound_event"

# Failures whose support message already states what went wrong and what to do. They are
# logged as one warning without a traceback, which would only repeat that message.
EXPECTED_ERRORS = (ConnectorError, ItemError)

# Outcomes of Connector.process_inbound that mean the event was genuine but changed nothing.
IGNORED_OUTCOMES = {"ignored", "stale"}

_COLUMNS = (
    "connection_id", "entity", "external_id", "dedup_key", "event_type", "version", "source",
    "payload", "headers", "occurred_at", "received_at", "state", "attempts", "outcome", "error",
)

# Rows per INSERT statement: 60 rows of 15 values stay below SQLite's older limit of 999
# parameters, and a webhook or pull page rarely has more.
_ROWS_PER_INSERT = 60


def store_inbound_items(connection, items, *, source, headers=None, queue=True):
    """Store inbound items; return the ids of the new events in item order, duplicates left out.

    A duplicate dedup key is dropped in the database (INSERT ... ON CONFLICT DO NOTHING), so two
    processes receiving the same event at once store it once. All items go into one multi-row
    statement, which is atomic on its own: outside a transaction (the webhook view) it costs one
    round trip and one commit. Each new event is queued for processing on its lane after the
    surrounding transaction commits, or at once in autocommit. With `queue=False` the caller
    processes the events itself. An event it leaves pending is queued by the sweep
    (requeue_due_inbound_events) once it is a minute old.
    """
    if source not in InboundSource.values:
        raise ValueError(f"unknown inbound source {source!r}")
    if not items:
        return []
    now = timezone.now()
    payload_field = InboundEvent._meta.get_field("payload")
    headers_value = payload_field.get_db_prep_save(dict(headers or {}), db_connection)
    rows = [
        [
            connection.pk, item.entity, str(item.external_id), item.dedup_key,
            item.event_type, str(item.version or ""), source,
            payload_field.get_db_prep_save(item.payload, db_connection), headers_value,
            item.occurred_at, now, InboundState.PENDING, 0, "", "",
        ]
        for item in items
    ]

    chunks = [rows[start:start + _ROWS_PER_INSERT] for start in range(0, len(rows), _ROWS_PER_INSERT)]
    stored = {}
    # Several statements must commit together, or a crash between them would store a part.
    with transaction.atomic() if len(chunks) > 1 else nullcontext():
        with db_connection.cursor() as cursor:
            for chunk in chunks:
                cursor.execute(_insert_sql(len(chunk)), [value for row in chunk for value in row])
                stored.update((dedup_key, pk) for pk, dedup_key in cursor.fetchall())

    new_ids = []
    for item in items:
        pk = stored.pop(item.dedup_key, None)
        if pk is None:
            # Providers resend events and pulls overlap, so a duplicate is routine: a sync of
            # thousands of unchanged items would otherwise flood the log at INFO.
            logger.debug(
                "inbound duplicate dropped",
                extra={"connection_id": connection.pk, "dedup_key": item.dedup_key},
            )
            continue
        new_ids.append(pk)
        if queue:
            enqueue_on_commit(PROCESS_TASK, pk, lane=lane_for(connection, item.entity))
    return new_ids


def _insert_sql(row_count):
    table = db_connection.ops.quote_name(InboundEvent._meta.db_table)
    columns = ", ".join(db_connection.ops.quote_name(column) for column in _COLUMNS)
    row = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    return (
        f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * row_count)} "
        "ON CONFLICT (connection_id, dedup_key) DO NOTHING RETURNING id, dedup_key"
    )


def process_inbound_event(event_id):
    """Apply one stored event through its connector's process_inbound hook, at most once.

    The hook's canonical writes, their outbox rows and the event's new state commit together,
    so a crash leaves the event pending and nothing half-applied. A repeated call for a
    processed event, or one that another worker holds, returns None and changes nothing.
    Otherwise returns the event with its new state and outcome.
    """
    with transaction.atomic():
        event = _locked_pending(InboundEvent.objects.filter(pk=event_id)).first()
        if event is None or not event.connection.enabled:
            return None
        _apply(event)
    return event


def process_inbound_batch(event_id, *, limit=None, queued_until=None):
    """Process a pending event together with other pending events of its connection and entity.

    Under load, webhooks arrive faster than one transaction per event can keep up with. The
    batch takes up to `limit` (setting INBOX_BATCH_SIZE) events that no other worker holds, in
    id order, and applies each in its own savepoint, so one failing event never rolls back the
    others. The batch commits once, and stock figures touched by several events are published
    once, with the final figure. The connector's `inbound_batch_started` hook locks what the
    events will lock, in one global order, so two batches wait for each other instead of
    deadlocking. Events waiting for a scheduled retry are left to their retry, the given one
    included.

    Before the events are applied one by one, the connector's `process_inbound_many` hook may
    apply some of them together with a fixed number of statements (see _apply_together).

    Returns the processed events; an empty list when `event_id` is no longer pending.
    """
    # Imported here: catalog's services import the framework's outbox.
    from catalog.services.availability import deferred_publishing

    limit = settings.INBOX_BATCH_SIZE if limit is None else limit
    if limit < 1:
        raise ValueError(f"The inbox batch size is {limit}; it must be 1 or more.")
    if not _is_pending(event_id):
        return []
    with transaction.atomic():
        anchor = _locked_pending(InboundEvent.objects.filter(pk=event_id)).first()
        # An event whose retry is scheduled waits for it, even when its own task runs first.
        if anchor is None or not anchor.connection.enabled or _waits_for_retry(anchor, queued_until):
            return []
        others = _locked_pending(
            InboundEvent.objects.filter(
                connection_id=anchor.connection_id, entity=anchor.entity, next_attempt_at__isnull=True,
            ).exclude(pk=anchor.pk).order_by("id")
        )[: limit - 1]
        events = sorted([anchor, *others], key=lambda event: event.pk)

        for event in events:
            event.connection = anchor.connection
        with deferred_publishing(), remembered_subscriptions():
            _start_batch(anchor.connection, events)
            applied = _apply_together(anchor.connection, events)
            for event in events:
                if event.pk not in applied:
                    _apply(event)

    if len(events) > 1:
        logger.debug(
            "inbound batch processed",
            extra={"connection_id": anchor.connection_id, "inbound_event_id": anchor.pk, "events": len(events), "applied_together": len(applied)},
        )
    return events


def _start_batch(connection, events):
    """Run the connector's batch hook; a failure is logged and the events are applied anyway.

    Without the hook's locks a batch can deadlock with another. The connectors' deadlock retry
    then runs the event again, and schedules a later retry (DatabaseContention) if that fails
    too. Failing the whole batch instead would leave every event in it stuck. Only a lost
    database connection fails the batch (see _raise_if_connection_lost).
    """
    try:
        with transaction.atomic():
            connection.connector.inbound_batch_started(connection, events)
    except Exception as error:
        _raise_if_connection_lost(connection, events, error)
        logger.exception(
            "inbound batch hook failed; applying the events without it",
            extra={"connection_id": connection.pk, "inbound_event_ids": [event.pk for event in events]},
        )


def _raise_if_connection_lost(connection, events, error):
    """Log one line and re-raise `error` when the savepoint it escaped from could not be rolled back.

    That happens when the database connection is gone, such as after a terminated session or a
    failover. No event can then be applied or marked failed in this transaction, so the batch
    rolls back whole and its events stay pending for the sweep.
    """
    if not transaction.get_rollback():
        return
    logger.error(
        "inbound batch lost its database connection; its events stay pending",
        extra={"connection_id": connection.pk, "inbound_event_ids": [event.pk for event in events], "error": type(error).__name__},
    )
    raise error


def _apply_together(connection, events):
    """Apply the events that the connector's process_inbound_many hook takes; return their pks.

    The hook's writes and the events' outcomes share one savepoint. When the hook raises, such
    as an IntegrityError because another worker created one of its records after the hook
    looked, the savepoint is rolled back and every event is left to _apply. The hook is
    written so that applying its events first gives the same result as applying the batch in
    id order (see Connector.process_inbound_many).
    """
    now = timezone.now()
    try:
        with transaction.atomic(), _forgotten_on_error():
            outcomes = connection.connector.process_inbound_many(connection, events) or {}
            applied = {event.pk: str(outcomes[event.pk] or "processed")[:20] for event in events if event.pk in outcomes}
            _store_applied(events, applied, now)
    except Exception as error:
        _raise_if_connection_lost(connection, events, error)
        # Concurrent work on the same records, such as a duplicate order that another worker
        # created, is expected: applied one by one, each event handles it as it would alone.
        # Anything else is a bug, logged with its traceback.
        expected = isinstance(error, (IntegrityError, OperationalError))
        logger.log(
            logging.WARNING if expected else logging.ERROR,
            "inbound events not applied together, applying them one by one",
            extra={"connection_id": connection.pk, "inbound_event_ids": [event.pk for event in events], "error": type(error).__name__},
            exc_info=not expected,
        )
        return set()

    # The events in memory change only once their new state is stored, so an event that
    # _apply gets after a rollback still has its stored attempts and error.
    for event in events:
        if event.pk not in applied:
            continue
        event.attempts += 1
        event.state = InboundState.IGNORED if applied[event.pk] in IGNORED_OUTCOMES else InboundState.PROCESSED
        event.outcome = applied[event.pk]
        event.processed_at = now
        event.next_attempt_at = None
        event.error = ""
    return set(applied)


def _store_applied(events, applied, now):
    """Store the outcomes ({event pk: outcome}) of events applied together, as _apply does for each."""
    by_outcome = defaultdict(list)
    for pk, outcome in applied.items():
        by_outcome[outcome].append(pk)
    store_outcomes(by_outcome, now=now)

    # _record_failure sets the event's error whenever it records a sync error, so an event
    # without an earlier error has none to resolve.
    for event in events:
        if event.pk in applied and event.error:
            resolve_sync_error_of(inbound_event=event)


def _forgotten_on_error():
    """Return catalog's forgotten_on_error(), so a rolled-back event publishes no stock message."""
    # Imported here: catalog's services import the framework's outbox.
    from catalog.services.availability import forgotten_on_error

    return forgotten_on_error()


def _is_pending(event_id):
    """Return whether the event is pending, read without a lock or a transaction.

    Under load most tasks find their event applied already by another task's batch. This read
    costs a fraction of the locking query, which checks a pending event again.
    """
    table = db_connection.ops.quote_name(InboundEvent._meta.db_table)
    with db_connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s AND state = %s", [event_id, str(InboundState.PENDING)])
        return cursor.fetchone() is not None


def _waits_for_retry(event, queued_until=None):
    """Return whether the event waits for a later retry than the running task.

    The dispatcher moves a due event's next attempt on by the lane's lease when it queues the
    task (see dispatch.queue_due_inbound_retries) and hands that time to the task. An event
    still showing exactly that time is the task's to process. Any other future time was
    written after the task was queued, by a failure that scheduled a new retry.
    """
    if event.next_attempt_at is None or event.next_attempt_at <= timezone.now():
        return False
    return queued_until is None or event.next_attempt_at.isoformat() != queued_until


def _locked_pending(events):
    """Lock the pending events of a queryset; rows another worker holds are skipped."""
    return events.select_for_update(skip_locked=True, of=("self",)).select_related("connection").filter(state=InboundState.PENDING)


def _apply(event):
    """Run the connector hook for a locked event and store its outcome or failure."""
    event.attempts += 1
    earlier_error = event.error
    try:
        # A savepoint, so a failing hook's partial writes roll back but the failure is stored.
        with transaction.atomic(), _forgotten_on_error():
            outcome = event.connection.connector.process_inbound(event) or "processed"
    except Exception as error:
        # Any failure, a bug included, must end as a retry or a visible sync error.
        _record_failure(event, error)
        return

    event.state = InboundState.IGNORED if outcome in IGNORED_OUTCOMES else InboundState.PROCESSED
    event.outcome = str(outcome)[:20]
    event.processed_at = timezone.now()
    event.next_attempt_at = None
    event.error = ""
    event.save(update_fields=["state", "outcome", "processed_at", "attempts", "next_attempt_at", "error"])
    # _record_failure sets the event's error whenever it records a sync error, so an event
    # without an earlier error has none to resolve.
    if earlier_error:
        resolve_sync_error_of(inbound_event=event)


def store_outcomes(outcomes, *, now=None):
    """Store the outcomes of events applied in bulk ({outcome: [event pks]}), one UPDATE per outcome.

    The same state, outcome and attempt count as _apply stores for one event, with `now` (the
    current time by default) as the processing time. Resolving an earlier sync error of an
    event is up to the caller.
    """
    now = now or timezone.now()
    for outcome, pks in outcomes.items():
        if not pks:
            continue
        state = InboundState.IGNORED if outcome in IGNORED_OUTCOMES else InboundState.PROCESSED
        InboundEvent.objects.filter(pk__in=pks).update(
            state=state, outcome=outcome, processed_at=now, attempts=F("attempts") + 1, next_attempt_at=None, error=""
        )


def _record_failure(event, error):
    """Schedule a retry of a failed event, or mark it failed and record its sync error.

    An expected error gets one WARNING line, either the retry line here or the "sync error
    recorded" line of record_sync_error. Anything else is a bug and is logged at ERROR with
    its traceback as well.
    """
    retry_at = None
    if isinstance(error, ConnectorError):
        retry_at = DELIVERY_POLICY.next_attempt_at(error, event.attempts, event.received_at)
    if not isinstance(error, EXPECTED_ERRORS):
        logger.exception(
            "inbound event failed",
            extra={"inbound_event_id": event.pk, "connection_id": event.connection_id},
        )

    event.error = str(getattr(error, "support_message", "") or type(error).__name__)
    if retry_at is not None:
        event.next_attempt_at = retry_at
        logger.warning(
            "inbound event retry scheduled",
            extra={"inbound_event_id": event.pk, "connection_id": event.connection_id, "attempt": event.attempts, "code": error.code},
        )
    else:
        event.state = InboundState.FAILED
        event.next_attempt_at = None
        record_sync_error(
            event.connection,
            SyncDirection.INBOUND,
            error,
            entity=event.entity,
            external_id=event.external_id,
            payload=event.payload,
            attempts=event.attempts,
            inbound_event=event,
        )
    event.save(update_fields=["state", "attempts", "next_attempt_at", "error"])


def requeue_due_inbound_events(now=None, *, stale_after_seconds=60, limit=1000):
    """Queue pending events whose retry is due or whose first queueing got lost; return the count."""
    now = now or timezone.now()
    due = InboundEvent.objects.filter(
        state=InboundState.PENDING, connection__enabled=True
    ).filter(
        next_attempt_at__lte=now
    ) | InboundEvent.objects.filter(
        state=InboundState.PENDING,
        connection__enabled=True,
        next_attempt_at__isnull=True,
        received_at__lte=now - timedelta(seconds=stale_after_seconds),
    )
    count = 0
    for event in due.select_related("connection").order_by("received_at")[:limit]:
        enqueue_on_commit(PROCESS_TASK, event.pk, lane=lane_for(event.connection, event.entity))
        count += 1
    return count


def is_stale(event):
    """Return whether a newer change of the same remote object was already processed.

    Connectors call it in process_inbound and return "stale" to store the event as ignored.
    """
    if event.occurred_at is None:
        return False
    return InboundEvent.objects.filter(
        connection_id=event.connection_id,
        entity=event.entity,
        external_id=event.external_id,
        state=InboundState.PROCESSED,
        occurred_at__gt=event.occurred_at,
    ).exists()
