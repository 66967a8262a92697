"""The django-q2 schedules that run monitoring, created or updated idempotently by name."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_q.models import Schedule

# Alerts and the summary run on the hot lane, which is kept short of long jobs. Each lane runs its
# own heartbeat, because the heartbeat proves that this lane's workers consume.
SUMMARY_HOUR_UTC = 6


def schedule_definitions(now=None):
    now = now or timezone.now()
    definitions = [
        {
            "name": f"monitoring heartbeat {lane}",
            "func": "monitoring.tasks.heartbeat",
            "args": repr(lane),
            # Cleared on schedules installed before the heartbeat measured the delay with a probe.
            "intended_date_kwarg": None,
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "cluster": lane,
        }
        for lane in settings.LANES
    ]
    definitions.append(
        {
            "name": "monitoring alerts",
            "func": "monitoring.tasks.evaluate_alerts",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "cluster": "hot",
        }
    )
    next_summary = now.replace(hour=SUMMARY_HOUR_UTC, minute=0, second=0, microsecond=0)
    if next_summary <= now:
        next_summary += timedelta(days=1)
    definitions.append(
        {
            "name": "monitoring daily summary",
            "func": "monitoring.tasks.daily_summary",
            "schedule_type": Schedule.DAILY,
            "next_run": next_summary,
            "cluster": "hot",
        }
    )
    return definitions


def install_schedules(now=None):
    """Create or update every monitoring schedule; return their names."""
    names = []
    for definition in schedule_definitions(now):
        name = definition.pop("name")
        # An existing schedule keeps its next run, so reinstalling does not move the summary.
        existing = Schedule.objects.filter(name=name).first()
        if existing is not None:
            definition.pop("next_run", None)
        Schedule.objects.update_or_create(name=name, defaults={**definition, "repeats": -1})
        names.append(name)
    return names
