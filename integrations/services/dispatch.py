"""The dispatcher's step: queue work whose time has come, run every second by `manage.py dispatch`.

Retries wait in Kontor's rows (next_attempt_at), not in the queue. Without this step a retry
due in 2 seconds, as a Retry-After header requested, would wait for the once-a-minute sweep.
"""

import logging
import math
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.models import InboundEvent, InboundState
from integrations.services import queue
from integrations.services.batches import BATCH_SIZE, BATCH_TASK, due_messages
from integrations.services.delivery import lease_seconds
from integrations.services.inbox import PROCESS_TASK
from integrations.services.lanes import lane_for

logger = logging.getLogger(__name__)

# Inbound retries queued per step; more wait for the next second.
INBOUND_PER_STEP = 500


def dispatch_due(now=None):
    """Queue batch delivery tasks for lanes with due messages and due inbound retries; return counts.

    A lane gets batch tasks for its due messages up to its worker count, minus the tasks
    already waiting in its queue, so a backlog never piles up tasks from second to second.
    """
    now = now or timezone.now()
    counts = {"batch_tasks": 0, "inbound": 0}
    for lane, options in settings.LANES.items():
        workers = options["workers"]
        due = len(due_messages(lane, now).values_list("pk", flat=True)[: workers * BATCH_SIZE])
        if not due:
            continue
        missing_tasks = min(workers, math.ceil(due / BATCH_SIZE)) - queue.queue_length(lane)
        for _task in range(max(0, missing_tasks)):
            queue.async_task(BATCH_TASK, lane, cluster=lane)
            counts["batch_tasks"] += 1

    counts["inbound"] = queue_due_inbound_retries(now)
    return counts


def queue_due_inbound_retries(now=None, *, limit=INBOUND_PER_STEP):
    """Queue inbound events whose retry is due; return how many.

    Each queued event's next_attempt_at moves on by the lane's lease, so the next step does not
    queue it again while its task waits. If that task is lost, the event is due again then.
    """
    now = now or timezone.now()
    events = list(
        InboundEvent.objects.filter(state=InboundState.PENDING, next_attempt_at__lte=now, connection__enabled=True)
        .select_related("connection")
        .order_by("next_attempt_at")[:limit]
    )
    queued = 0
    with transaction.atomic():
        for event in events:
            lane = lane_for(event.connection, event.entity)
            lease_until = now + timedelta(seconds=lease_seconds(lane))
            # The condition keeps a newer next_attempt_at, written by a task that just ran.
            postponed = InboundEvent.objects.filter(
                pk=event.pk, state=InboundState.PENDING, next_attempt_at__lte=now
            ).update(next_attempt_at=lease_until)
            if postponed:
                # The task gets the postponed time, so it can tell that the event is due for it
                # and not waiting for a later retry.
                queue.enqueue_on_commit(PROCESS_TASK, event.pk, lease_until.isoformat(), lane=lane)
                queued += 1
    return queued
