"""Lane tasks. Each takes ids, reloads its rows and is safe to run twice."""

import logging
from datetime import timedelta

from django.db.models import Max
from django.utils import timezone

from integrations.models import Connection, ConnectionEntity, SyncRun, SyncRunKind
from integrations.services import batches, cursors, delivery, inbox, retention, unseen_sales
from integrations.services.queue import enqueue_on_commit

logger = logging.getLogger(__name__)


def process_inbound_event(event_id, queued_until=None):
    """Process the event, and with it other pending events of its connection (see process_inbound_batch).

    `queued_until` is the next attempt time the dispatcher wrote when it queued a due retry.
    """
    events = inbox.process_inbound_batch(event_id, queued_until=queued_until)
    # The state, not the model instance, so django-q2 stores a small result.
    return next((event.state for event in events if event.pk == event_id), None)


def deliver_outbound_message(message_id):
    return delivery.deliver_message(message_id)


def deliver_due_messages(lane):
    """Deliver the lane's due outbound messages in batches; the lane name is the only argument."""
    return batches.deliver_due_messages(lane)


def run_pull(connection_id, entity):
    connection = Connection.objects.filter(pk=connection_id, enabled=True).first()
    if connection is None:
        return None
    return cursors.run_delta_pull(connection, entity).state


def queue_due_pulls(now=None):
    """Queue a pull for each connection entity whose pull interval has passed since its last run."""
    now = now or timezone.now()
    entities = ConnectionEntity.objects.filter(
        enabled=True, connection__enabled=True, pull_interval_minutes__isnull=False
    ).select_related("connection")
    runs = SyncRun.objects.filter(kind=SyncRunKind.PULL).values("connection_id", "entity").annotate(last=Max("started_at"))
    last_runs = {(row["connection_id"], row["entity"]): row["last"] for row in runs}
    count = 0
    for entity in entities:
        if not entity.pulls:
            continue
        last = last_runs.get((entity.connection_id, entity.entity))
        if last is not None and (now - last).total_seconds() < entity.pull_interval_minutes * 60:
            continue
        enqueue_on_commit("integrations.tasks.run_pull", entity.connection_id, entity.entity, lane=entity.effective_lane)
        count += 1
    return count


def sweep():
    """Queue due retries, expired leases, lost inbox events, due pulls and held-back stock. Runs every minute."""
    counts = {
        "outbound": delivery.requeue_due_messages(),
        "inbound": inbox.requeue_due_inbound_events(),
        "pulls": queue_due_pulls(),
        "stock_released": len(unseen_sales.release_expired(timezone.now())),
    }
    if any(counts.values()):
        logger.info("sweep queued work", extra=counts)
    return counts


def purge_history(older_than_days=retention.DEFAULT_RETENTION_DAYS):
    """Delete finished outbox, inbox and sync history older than the given days. Runs daily on the master lane."""
    return retention.purge_history(timezone.now() - timedelta(days=older_than_days))
