"""`manage.py dispatch --interval` rejects intervals that would query the database back to back."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("interval", ["0", "-1", "0.05", "inf", "soon"])
def test_dispatch_rejects_interval(interval):
    out = StringIO()

    with pytest.raises(CommandError) as raised:
        call_command("dispatch", "--interval", interval, stdout=out, stderr=StringIO())

    assert str(raised.value) == (
        f"Error: argument --interval: must be 0.1 or more seconds, such as 1, got {interval!r}."
    )
    assert out.getvalue() == ""


def test_dispatch_accepts_minimum_interval():
    out = StringIO()

    call_command("dispatch", "--interval", "0.1", "--once", stdout=out, stderr=StringIO())

    assert out.getvalue() == "Queued 0 batch deliveries and 0 inbound retries.\n"
