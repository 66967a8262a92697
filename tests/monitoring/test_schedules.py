"""The monitoring schedules are created once, on the right lanes, and reinstalled in place."""

from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django_q.models import Schedule

from monitoring.schedules import install_schedules

pytestmark = pytest.mark.django_db


def test_install_creates_schedules_on_their_lanes():
    install_schedules(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))

    schedules = {s.name: s for s in Schedule.objects.all()}
    assert sorted(schedules) == [
        "monitoring alerts", "monitoring daily summary", "monitoring heartbeat hot", "monitoring heartbeat master",
        "monitoring heartbeat poll",
    ]
    assert schedules["monitoring heartbeat hot"].cluster == "hot"
    assert schedules["monitoring heartbeat hot"].args == "'hot'"
    assert schedules["monitoring heartbeat hot"].intended_date_kwarg is None
    assert schedules["monitoring heartbeat master"].cluster == "master"
    assert schedules["monitoring heartbeat poll"].cluster == "poll"
    assert schedules["monitoring alerts"].cluster == "hot"
    assert schedules["monitoring alerts"].minutes == 1
    assert schedules["monitoring daily summary"].schedule_type == Schedule.DAILY
    assert schedules["monitoring daily summary"].next_run == datetime(2026, 12, 3, 6, 0, tzinfo=UTC)


def test_install_twice_keeps_one_of_each(capsys):
    call_command("monitoring", "--install-schedule")
    first_summary_run = Schedule.objects.get(name="monitoring daily summary").next_run

    call_command("monitoring", "--install-schedule")

    assert Schedule.objects.filter(name__startswith="monitoring").count() == 5
    assert Schedule.objects.get(name="monitoring daily summary").next_run == first_summary_run
    assert "Installed the schedule 'monitoring alerts'." in capsys.readouterr().out
