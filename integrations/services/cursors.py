"""Delta pulls with a cursor per connection and entity.

The cursor is the (update time in UTC, id) of the last item whose page was committed. A run
starts `overlap` before it, so an item whose update became visible late (clock skew, long
transactions at the remote) is still read; items read twice are dropped by the inbox's dedup
key, which includes the item's version. Connectors page by a stable sort (update time, then
id) and pass the position after the page as Page.cursor.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from integrations.models import DeltaCursor, InboundSource, SyncDirection, SyncRunKind
from integrations.services.inbox import process_inbound_event, store_inbound_items
from integrations.services.syncruns import (
    count_outcome,
    finish_sync_run,
    record_sync_error,
    start_sync_run,
)

logger = logging.getLogger(__name__)

DEFAULT_OVERLAP = timedelta(minutes=5)

# A guard against a connector whose cursor never ends; 10,000 pages of 100 is a million items.
MAX_PAGES = 10_000


def start_cursor(connection, entity, overlap=DEFAULT_OVERLAP):
    """Return the cursor for the first page of a run, or None to read everything.

    {"updated_since": aware UTC datetime, "after_id": ""}: the connector reads items updated
    at or after updated_since, in (update time, id) order. On later pages of a run, the cursor
    is the connector's own Page.cursor, typically the (update time, id) of the page's last item.
    """
    cursor = DeltaCursor.objects.filter(connection=connection, entity=entity).first()
    if cursor is None or cursor.updated_at is None:
        return None
    return {"updated_since": cursor.updated_at - overlap, "after_id": ""}


def advance_cursor(connection, entity, items):
    """Move the cursor to the last item of a page; call inside the transaction that stores it.

    The cursor never moves back, so an overlap page of older items leaves it where it is.
    """
    positions = [(item.occurred_at, str(item.external_id)) for item in items if item.occurred_at is not None]
    if not positions:
        return None
    updated_at, last_id = max(positions)
    if timezone.is_naive(updated_at):
        raise ValueError(
            f"item {last_id} has a naive update time {updated_at}; convert it with "
            "integrations.timezones.to_utc and the connection's time zone"
        )

    cursor, _created = DeltaCursor.objects.select_for_update().get_or_create(connection=connection, entity=entity)
    if cursor.updated_at is None or (updated_at, last_id) > (cursor.updated_at, cursor.last_id):
        cursor.updated_at = updated_at
        cursor.last_id = last_id
        cursor.advanced_at = timezone.now()
        cursor.save(update_fields=["updated_at", "last_id", "advanced_at"])
    return cursor


def run_delta_pull(connection, entity, *, overlap=DEFAULT_OVERLAP, process_inline=False, progress=None):
    """Pull all pages of changes since the cursor, storing each page's items and cursor together.

    With process_inline the new events are processed in this process after each page (the sync
    command); otherwise they are queued on the entity's lane. `progress(n)` is called with the
    number of items of each page. Returns the SyncRun.
    """
    run = start_sync_run(connection, SyncRunKind.PULL, entity)
    cursor = start_cursor(connection, entity, overlap)
    connector = connection.connector
    try:
        for _page_number in range(MAX_PAGES):
            page = connector.pull(connection, entity, cursor)

            with transaction.atomic():
                new_ids = store_inbound_items(connection, page.items, source=InboundSource.PULL)
                advance_cursor(connection, entity, page.items)

            run.read_count += len(page.items)
            run.skipped_count += len(page.items) - len(new_ids)
            if process_inline:
                for event_id in new_ids:
                    _count_processed(run, process_inbound_event(event_id))
            else:
                run.queued_count += len(new_ids)
            if progress is not None:
                progress(len(page.items))

            if page.cursor is None or not page.items:
                break
            cursor = page.cursor
        else:
            logger.warning("delta pull stopped at page limit", extra={"sync_run_id": run.pk, "pages": MAX_PAGES})
    except Exception as error:
        if not hasattr(error, "support_message"):
            logger.exception("delta pull failed", extra={"sync_run_id": run.pk, "connection_id": connection.pk})
        record_sync_error(connection, SyncDirection.INBOUND, error, entity=entity, sync_run=run)
        return finish_sync_run(run, failed_with=error)
    return finish_sync_run(run)


def _count_processed(run, event):
    if event is None:
        return
    if event.state == "failed":
        count_outcome(run, "failed")
    elif event.outcome in ("created", "updated"):
        count_outcome(run, event.outcome)
    else:
        count_outcome(run, "skipped")
