"""`manage.py dhl_schedule --minutes` accepts whole minutes up to the per-parcel poll interval."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_q.models import Schedule

pytestmark = pytest.mark.django_db


def run_dhl_schedule(*args):
    out = StringIO()
    call_command("dhl_schedule", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.parametrize("minutes", ["-3", "0", "181", "2.5", "five", "nan"])
def test_dhl_schedule_rejects_minutes(minutes):
    with pytest.raises(CommandError) as raised:
        run_dhl_schedule("--minutes", minutes)

    assert str(raised.value) == (
        f"Error: argument --minutes: must be a whole number of minutes from 1 to 180, such as 5, got {minutes!r}."
    )
    assert Schedule.objects.count() == 0


@pytest.mark.parametrize("minutes", [1, 180])
def test_dhl_schedule_accepts_limits(minutes):
    output = run_dhl_schedule("--minutes", str(minutes))

    schedule = Schedule.objects.get(name="dhl tracking pulls")
    assert schedule.minutes == minutes
    assert f"every {minutes} minutes on the hot lane" in output
