"""Monitoring tasks, run by the django-q2 schedules that `manage.py monitoring --install-schedule` creates.

Each is safe to run twice: a heartbeat overwrites the previous one, an alert evaluation only
changes incidents whose condition changed, and a second summary is a second email, nothing more.
"""

import logging

from monitoring.services.alerts import evaluate_rules
from monitoring.services.readiness import record_heartbeat
from monitoring.services.summary import send_daily_summary

logger = logging.getLogger(__name__)


def heartbeat(lane, scheduled_for=None):
    """Record that a worker of `lane` runs tasks; `scheduled_for` is the time the schedule was due."""
    return record_heartbeat(lane, scheduled_for)


def evaluate_alerts():
    counts = evaluate_rules()
    return {str(kind): count for kind, count in counts.items()}


def daily_summary():
    sent = send_daily_summary()
    logger.info("daily summary sent", extra={"channels": sent})
    return sent
