"""The sandbox order stream command rejects rates and counts it cannot run with, before it starts."""

import pytest
from django.core.management import CommandError, call_command

from integrations.sandbox.models import SandboxRecord

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--rate", "0"], "Error: argument --rate: must be 0.01 or more invoices a second, such as 1, got '0'."),
        (["--rate", "-2"], "Error: argument --rate: must be 0.01 or more invoices a second, such as 1, got '-2'."),
        (["--count", "0"], "Error: argument --count: must be a whole number of 1 or more invoices, such as 100, got '0'."),
        (["--count", "-5"], "Error: argument --count: must be a whole number of 1 or more invoices, such as 100, got '-5'."),
    ],
)
def test_bad_rate_or_count_rejected(settings, arguments, message):
    settings.SANDBOX_ENABLED = True

    with pytest.raises(CommandError) as raised:
        call_command("sandbox_orders", *arguments)

    assert str(raised.value) == message
    assert SandboxRecord.objects.filter(system="shopware", collection="order").count() == 0
