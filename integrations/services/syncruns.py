"""Sync runs (one execution with counts and timings) and sync errors (one failed item)."""

import json
import logging
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from core.sql import json_from_text, update_rows
from core.translation import in_every_language
from integrations.models import (
    InboundState,
    SyncError,
    SyncRun,
    SyncRunState,
)
from integrations.services.lanes import lane_for
from integrations.services.queue import enqueue_on_commit
from integrations.services.retrychecks import unchanged_errors

logger = logging.getLogger(__name__)

# Outcomes that a connector hook or the framework reports for one item, and the counter each adds to.
OUTCOME_FIELDS = {
    "created": "created_count",
    "updated": "updated_count",
    "skipped": "skipped_count",
    "failed": "failed_count",
}


def start_sync_run(connection, kind, entity=""):
    run = SyncRun.objects.create(
        connection=connection, kind=kind, entity=entity, started_at=timezone.now()
    )
    logger.info(
        "sync run started",
        extra={"sync_run_id": run.pk, "connection_id": connection.pk, "kind": kind, "entity": entity},
    )
    return run


def count_outcome(run, outcome, read=0):
    """Add one item outcome (created, updated, skipped, failed) and `read` items to a run."""
    if run is None:
        return
    if read:
        run.read_count += read
    field = OUTCOME_FIELDS.get(outcome)
    if field:
        setattr(run, field, getattr(run, field) + 1)


def finish_sync_run(run, *, failed_with=None):
    run.finished_at = timezone.now()
    if failed_with:
        run.state = SyncRunState.FAILED
    elif run.failed_count:
        # The run went through, but some items failed; support must see that in the list.
        run.state = SyncRunState.PARTIAL
    else:
        run.state = SyncRunState.SUCCEEDED
    if failed_with is not None:
        run.message = getattr(failed_with, "support_message", "") or gettext(
            "The run stopped with an unexpected error. The technical details are in the log."
        )
    run.save()
    logger.info(
        "sync run finished",
        extra={
            "sync_run_id": run.pk,
            "connection_id": run.connection_id,
            "state": run.state,
            "read": run.read_count,
            "failed": run.failed_count,
        },
    )
    return run


def support_message_of(error):
    """Return the message support staff see for an exception, generic for unknown ones."""
    message = getattr(error, "support_message", None)
    if message:
        return str(message)
    return gettext(
        "An unexpected error occurred in Kontor. The technical details are in the log; "
        "contact support with the error code internal_error."
    )


def message_translations_of(error):
    """Return the support message of `error` in each language that Kontor ships, by language code."""
    return in_every_language(lambda: support_message_of(error))


def record_sync_error(
    connection,
    direction,
    error,
    *,
    entity="",
    record=None,
    content_type=None,
    object_id="",
    external_id="",
    payload=None,
    attempts=0,
    next_retry_at=None,
    inbound_event=None,
    outbound_message=None,
    sync_run=None,
    log_level=logging.WARNING,
):
    """Write or update the sync error of one failed item; one row per inbox or outbox item.

    `attempts` is the number of tries the item made since it was stored or last retried. The
    row of an inbox or outbox item adds it to the tries before, so it counts every try.
    `log_level` lets a caller that sums up many such errors in one line log each one lower.
    """
    if record is not None:
        content_type = ContentType.objects.get_for_model(record)
        object_id = str(record.pk)

    values = {
        "connection": connection,
        "direction": direction,
        "entity": entity,
        "content_type": content_type,
        "object_id": str(object_id or ""),
        "external_id": str(external_id or ""),
        "payload": payload,
        "code": getattr(error, "code", "internal_error"),
        "message": support_message_of(error),
        "message_translations": message_translations_of(error),
        "attempts": attempts,
        "next_retry_at": next_retry_at,
        "sync_run": sync_run,
        "resolved": False,
        "resolved_at": None,
    }
    if inbound_event is not None:
        sync_error = _write_item_error({"inbound_event": inbound_event}, values)
    elif outbound_message is not None:
        sync_error = _write_item_error({"outbound_message": outbound_message}, values)
    else:
        # One open error per item and cause: the same failure recorded again (a restart, a
        # re-import) updates the row instead of adding a duplicate for support to wade through.
        identity = {key: values[key] for key in ("connection", "direction", "entity", "content_type", "object_id", "external_id", "code")}
        existing = SyncError.objects.filter(**identity, resolved=False).order_by("-id").first()
        if existing is None:
            sync_error = SyncError.objects.create(**values)
        else:
            for key, value in values.items():
                setattr(existing, key, value)
            existing.attempts = max(existing.attempts, attempts)
            existing.save()
            sync_error = existing

    logger.log(
        log_level,
        "sync error recorded",
        extra={
            "sync_error_id": sync_error.pk,
            "connection_id": connection.pk,
            "direction": direction,
            "code": values["code"],
            "object_id": values["object_id"],
            "external_id": values["external_id"],
            "inbound_event_id": getattr(inbound_event, "pk", None),
            "outbound_message_id": getattr(outbound_message, "pk", None),
        },
    )
    return sync_error


@dataclass(frozen=True)
class RecordFailure:
    """One failed record of a run that has no inbox or outbox item, such as an imported row."""

    error: object
    entity: str
    external_id: str
    payload: dict | None = None


# Rows per UPDATE of repeated record failures, well below PostgreSQL's 65,535 parameters.
REPEATED_FAILURES_PER_STATEMENT = 1000


def record_sync_errors(connection, direction, failures, *, sync_run=None):
    """Write the sync errors of many failed records at once, one open error per record and cause.

    The same rule as record_sync_error without a record, in a few queries instead of two per
    failure, because an import of a large catalog can find thousands of problems in one batch.
    A failure that is already open (same entity, external id and code) updates that error and
    counts one more attempt. Any other failure is created with one attempt. Returns how many were
    new.
    The updates are one UPDATE ... FROM VALUES per thousand rows: Django's bulk_update writes a
    CASE per column and row, which took a fifth of an unchanged re-import.
    """
    pending = {}
    for failure in failures:
        code = getattr(failure.error, "code", "internal_error")
        pending[(str(failure.entity), str(failure.external_id or ""), code)] = failure
    if not pending:
        return 0

    open_errors = (
        SyncError.objects.filter(
            connection=connection, direction=direction, resolved=False, content_type__isnull=True, object_id="",
            external_id__in={external_id for _entity, external_id, _code in pending},
            code__in={code for _entity, _external_id, code in pending},
        )
        .only("id", "entity", "external_id", "code")
        .order_by("id")
    )
    # Ordered by id, so the newest of two open rows for one cause is the one that is updated.
    existing = {(row.entity, row.external_id, row.code): row for row in open_errors}

    created, repeated = [], []
    for identity, failure in pending.items():
        message = support_message_of(failure.error)
        translations = message_translations_of(failure.error)
        row = existing.get(identity)
        if row is None:
            entity, external_id, code = identity
            created.append(SyncError(
                connection=connection, direction=direction, entity=entity, external_id=external_id, code=code,
                payload=failure.payload, message=message, message_translations=translations, attempts=1, sync_run=sync_run,
            ))
        else:
            payload = None if failure.payload is None else json.dumps(failure.payload)
            repeated.append((row.pk, message, payload, json.dumps(translations)))

    set_clause = (
        f"message = v.column2, payload = {json_from_text('v.column3')}, "
        f"message_translations = {json_from_text('v.column4')}, attempts = attempts + 1, sync_run_id = %s, updated_at = %s"
    )
    with transaction.atomic():
        SyncError.objects.bulk_create(created, batch_size=500)
        for start in range(0, len(repeated), REPEATED_FAILURES_PER_STATEMENT):
            chunk = repeated[start:start + REPEATED_FAILURES_PER_STATEMENT]
            update_rows(SyncError, chunk, set_clause, set_params=[getattr(sync_run, "pk", None), timezone.now()])
    return len(created)


# Fields of an item's sync error that a later round without them leaves as they are.
KEPT_WHEN_MISSING = ("external_id", "sync_run", "payload")


@transaction.atomic
def _write_item_error(item, values):
    """Create or update the sync error of one inbox or outbox item, adding up its attempts.

    An item gets here only once it has no attempt left, and it runs again only after
    retry_sync_error gave it fresh attempts, which count from zero. So each call is a new round
    whose attempts add to those of the rounds before it, and the admin shows every try.
    """
    existing = SyncError.objects.select_for_update().filter(**item).first()
    if existing is None:
        return SyncError.objects.create(**item, **values)

    earlier_attempts = existing.attempts
    for key, value in values.items():
        # A later round may know less of the item than the first one did: a failed catalog
        # push names the SKU and its run, the retried message only its payload. What the
        # error already shows stays, so its title and the search by SKU keep working.
        if key in KEPT_WHEN_MISSING and value in (None, "", {}):
            continue
        setattr(existing, key, value)
    existing.attempts = earlier_attempts + values["attempts"]
    existing.save()
    return existing


def resolve_sync_error_of(*, inbound_event=None, outbound_message=None):
    """Mark the sync error of an item resolved after the item finally succeeded."""
    errors = SyncError.objects.filter(resolved=False)
    if inbound_event is not None:
        errors = errors.filter(inbound_event=inbound_event)
    elif outbound_message is not None:
        errors = errors.filter(outbound_message=outbound_message)
    else:
        return 0
    return errors.update(resolved=True, resolved_at=timezone.now(), next_retry_at=None)


@transaction.atomic
def retry_sync_error(sync_error):
    """Put the failed inbox or outbox item back in its queue with fresh attempts.

    Returns False for an error that has no item to retry (such as a failed pull page); that
    item is retried by running the sync again.
    """
    # Imported here because the delivery module imports this one.
    from integrations.services.outbox import retry_outbound_message

    now = timezone.now()
    if sync_error.outbound_message_id:
        retry_outbound_message(sync_error.outbound_message, now)
    elif sync_error.inbound_event_id:
        event = sync_error.inbound_event
        event.state = InboundState.PENDING
        event.attempts = 0
        event.next_attempt_at = now
        event.save(update_fields=["state", "attempts", "next_attempt_at"])
        enqueue_on_commit("integrations.tasks.process_inbound_event", event.pk, lane=lane_for(event.connection, event.entity))
    else:
        return False

    sync_error.next_retry_at = now
    sync_error.save(update_fields=["next_retry_at", "updated_at"])
    logger.info("sync error retried", extra={"sync_error_id": sync_error.pk})
    return True


@dataclass
class RetryOutcome:
    """Counts of one bulk retry.

    `queued`: errors whose item was queued again. `in_order`: how many of those are outbound
    messages of an ordered stream, which are sent after the stream's older waiting messages
    instead of at once. `skipped`: errors that have no item to queue. `held_back`: {error code:
    count} of errors left unqueued because a retry check found their cause still there (see
    integrations.services.retrychecks).
    """

    queued: int = 0
    in_order: int = 0
    skipped: int = 0
    held_back: dict = field(default_factory=dict)


def retry_sync_error_batch(queryset):
    """Retry every unresolved error in `queryset` and return a RetryOutcome.

    An error without an inbound event or outbound message (an import row, a failed pull page)
    counts as skipped, because only running the import or sync again retries it. Errors whose
    code has a retry check and whose cause is still there are held back instead of queued to
    fail again.

    All items are queued in one transaction. Otherwise the batch task queued for the first
    retried order could send it before an older order of the same stream was marked due.
    """
    sync_errors = list(
        queryset.filter(resolved=False)
        .select_related("connection", "outbound_message__connection", "inbound_event")
        .order_by("pk")
    )
    retryable = [error for error in sync_errors if error.outbound_message_id or error.inbound_event_id]
    outcome = RetryOutcome(skipped=len(sync_errors) - len(retryable))

    unchanged = unchanged_errors(retryable)
    held_back_ids = set()
    for code, ids in unchanged.items():
        outcome.held_back[code] = len(ids)
        held_back_ids |= ids
    if held_back_ids:
        logger.info("sync error retry held back", extra={"held_back": outcome.held_back})

    # Imported here because the outbox imports the delivery module, which imports this one.
    from integrations.services.delivery import in_ordered_stream

    to_retry = [sync_error for sync_error in retryable if sync_error.pk not in held_back_ids]
    if not to_retry:
        return outcome
    with transaction.atomic():
        for sync_error in to_retry:
            if not retry_sync_error(sync_error):
                continue
            outcome.queued += 1
            if sync_error.outbound_message_id and in_ordered_stream(sync_error.outbound_message):
                outcome.in_order += 1
    return outcome


def retry_sync_errors(queryset):
    """Retry every unresolved error in `queryset`, except those a retry check holds back; return how many were queued."""
    return retry_sync_error_batch(queryset).queued


def resolve_sync_errors(queryset):
    """Mark errors resolved without retrying, for items fixed by hand or no longer needed."""
    return queryset.filter(resolved=False).update(resolved=True, resolved_at=timezone.now())
