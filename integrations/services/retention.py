"""Deletion of finished outbox, inbox and sync history older than a cut-off.

Nothing else deletes these rows, so without a purge the tables and the monitoring queries that
read them grow for as long as Kontor runs. Only finished rows go: work that is still open
(pending, in-flight or failed items) and anything that an unresolved sync error points to stay.
"""

import logging

from django.db import OperationalError
from django.db import connection as db_connection
from django.db.models import Exists, OuterRef
from django.db.models.functions import Coalesce

from integrations.models import (
    InboundEvent,
    InboundState,
    OutboundMessage,
    OutboundState,
    SyncError,
    SyncRun,
)
from integrations.services.deadlocks import DatabaseContention, run_retrying_deadlocks

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 5000
# Days of finished history that the scheduled purge keeps.
DEFAULT_RETENTION_DAYS = 90
# Maximum wait of a batch for a row lock, in seconds. After it the batch fails and its rows wait
# for the next purge.
LOCK_TIMEOUT_SECONDS = 5

FINISHED_OUTBOUND_STATES = (
    OutboundState.DELIVERED,
    OutboundState.SKIPPED,
    OutboundState.SUPERSEDED,
    OutboundState.WITHDRAWN,
)
FINISHED_INBOUND_STATES = (InboundState.PROCESSED, InboundState.IGNORED)

# The kinds in the order they are purged. Sync errors go first, so that no later delete
# cascades to an error that this purge would keep.
KINDS = ("sync_errors", "outbound_messages", "inbound_events", "sync_runs")


def _kept_errors(before):
    """Return the sync errors that this purge keeps: unresolved ones and those resolved since `before`."""
    return SyncError.objects.exclude(resolved=True, resolved_at__lt=before)


def _purgeable_sync_errors(before):
    return SyncError.objects.filter(resolved=True, resolved_at__lt=before)


def _purgeable_outbound_messages(before):
    # A message is delivered after it is created, so created_at < before holds for every match
    # and gives PostgreSQL the choice of the created_at index.
    # A finished message can still carry an open error from an earlier failed attempt, such as
    # one superseded before its retry. Deleting it would cascade to that error, so it stays.
    return (
        OutboundMessage.objects.filter(state__in=FINISHED_OUTBOUND_STATES, created_at__lt=before)
        .annotate(finished_at=Coalesce("delivered_at", "created_at"))
        .filter(finished_at__lt=before)
        .filter(~Exists(_kept_errors(before).filter(outbound_message=OuterRef("pk"))))
    )


def _purgeable_inbound_events(before):
    # An event is processed after it is received, so received_at < before holds for every
    # match and gives PostgreSQL the choice of the received_at index. A conflict that points to a deleted
    # event keeps existing, because Conflict.inbound_event is SET_NULL.
    return (
        InboundEvent.objects.filter(state__in=FINISHED_INBOUND_STATES, received_at__lt=before)
        .annotate(finished_at=Coalesce("processed_at", "received_at"))
        .filter(finished_at__lt=before)
        .filter(~Exists(_kept_errors(before).filter(inbound_event=OuterRef("pk"))))
    )


def _purgeable_sync_runs(before):
    # A run that a kept error names stays too, so the error still shows the run it came from.
    return SyncRun.objects.filter(started_at__lt=before, finished_at__lt=before).filter(
        ~Exists(_kept_errors(before).filter(sync_run=OuterRef("pk")))
    )


PURGEABLE = {
    "sync_errors": (SyncError, _purgeable_sync_errors),
    "outbound_messages": (OutboundMessage, _purgeable_outbound_messages),
    "inbound_events": (InboundEvent, _purgeable_inbound_events),
    "sync_runs": (SyncRun, _purgeable_sync_runs),
}


def _delete_batch(model, candidates, ids):
    """Delete the rows of `ids` that are still purgeable, in one transaction, and return how many went.

    The rows are locked and filtered again first, because a row can change between the read of
    the ids and the delete, such as an event put back in its queue. A row that another
    transaction has locked is skipped and goes in a later purge. Raises OperationalError when a
    related row stays locked for LOCK_TIMEOUT_SECONDS.
    """

    def work():
        if db_connection.vendor == "postgresql":
            # The delete also sets Conflict.inbound_event to NULL, and a worker may hold such a
            # conflict. The batch gives up instead of waiting behind it for long.
            with db_connection.cursor() as cursor:
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{LOCK_TIMEOUT_SECONDS}s"])
        locked = list(
            candidates.filter(pk__in=ids).select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True)
        )
        # Deleting loads the rows first, and their payloads cost most of the time, so only the
        # key is read.
        _total, per_model = model.objects.filter(pk__in=locked).only("pk").delete()
        # The total also counts rows deleted by a cascade, such as the sync error of a message.
        return per_model.get(model._meta.label, 0)

    return run_retrying_deadlocks(work)


def _purge_kind(kind, before, *, batch_size, progress):
    """Delete the purgeable rows of one kind in primary key order, one transaction per batch."""
    model, purgeable = PURGEABLE[kind]
    candidates = purgeable(before)
    deleted = 0
    last_pk = 0
    while True:
        # Each batch starts after the last one, so rows that stay are not read again.
        ids = list(candidates.filter(pk__gt=last_pk).order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        last_pk = ids[-1]
        try:
            deleted += _delete_batch(model, candidates, ids)
        except (OperationalError, DatabaseContention):
            # The rows stay and go in the next purge, so one locked batch does not stop the rest.
            logger.exception(
                "history purge batch failed",
                extra={"kind": kind, "first_id": ids[0], "last_id": ids[-1], "rows": len(ids)},
            )
        if progress is not None:
            progress(kind, deleted)


def purge_history(before, *, batch_size=DEFAULT_BATCH_SIZE, dry_run=False, progress=None):
    """Delete finished outbox, inbox and sync history older than `before` and return the count per kind.

    `before` is an aware UTC datetime. Deleted are delivered, skipped, superseded and withdrawn
    outbound messages by delivered_at (else created_at), processed and ignored inbound events by
    processed_at (else received_at), sync runs by finished_at, and resolved sync errors by
    resolved_at. A row stays while an unresolved sync error, or one resolved at or after
    `before`, points to it. Each batch of at most `batch_size` rows is deleted in its own
    transaction. `dry_run` counts the rows without deleting them. `progress(kind, deleted)` is
    called after each batch, and once per kind in a dry run.
    """
    if before.tzinfo is None:
        raise ValueError(f"before must be an aware UTC datetime, got the naive datetime {before.isoformat()}.")
    if batch_size < 1:
        raise ValueError(f"batch_size must be 1 or more, got {batch_size}.")

    counts = {}
    for kind in KINDS:
        if dry_run:
            _model, purgeable = PURGEABLE[kind]
            counts[kind] = purgeable(before).count()
            if progress is not None:
                progress(kind, counts[kind])
        else:
            counts[kind] = _purge_kind(kind, before, batch_size=batch_size, progress=progress)

    for kind in KINDS:
        logger.info(
            "history purged",
            extra={"kind": kind, "rows": counts[kind], "before": before.isoformat(), "dry_run": dry_run},
        )
    return counts
