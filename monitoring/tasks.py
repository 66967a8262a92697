"""Monitoring tasks, run by the django-q2 schedules that `manage.py monitoring --install-schedule` creates.

Each is safe to run twice: a heartbeat overwrites the previous one, an alert evaluation only
changes incidents whose condition changed, and a second summary is a second email, nothing more.
"""

import logging

from django.utils import timezone

from integrations.services.queue import async_task
from monitoring.services.alerts import evaluate_rules
from monitoring.services.readiness import record_heartbeat
from monitoring.services.summary import send_daily_summary

logger = logging.getLogger(__name__)

QUEUE_PROBE_TASK = "monitoring.tasks.measure_queue_delay"


def heartbeat(lane, scheduled_for=None):
    """Record that a worker of `lane` runs tasks, and queue a probe that measures the queue's delay.

    The schedule's due time (`scheduled_for`, passed by schedules installed before the probe
    existed) is not used for the delay. django-q2's scheduler looks for due schedules only about
    every 30 s, and after a stop the due time lies as far back as the stop. Either would show up
    as queue delay although no task waited in the queue.
    """
    record_heartbeat(lane)
    try:
        async_task(QUEUE_PROBE_TASK, lane, timezone.now().isoformat(), cluster=lane)
    except Exception as error:
        # The heartbeat itself is recorded; the delay shown stays at its last measured value.
        logger.warning("queue probe not queued", extra={"lane": lane, "error": type(error).__name__})
        return False
    return True


def measure_queue_delay(lane, queued_at):
    """Record how long this task waited in the lane's queue; `queued_at` is when heartbeat queued it."""
    return record_heartbeat(lane, queued_at)


def evaluate_alerts():
    counts = evaluate_rules()
    return {str(kind): count for kind, count in counts.items()}


def daily_summary():
    sent = send_daily_summary()
    logger.info("daily summary sent", extra={"channels": sent})
    return sent
