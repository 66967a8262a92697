"""The dashboard's tiles show "just now" for times under a minute ago, not "0 minutes ago"."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from core.formats import format_utc_datetime
from integrations.models import OutboundState
from tests.monitoring.conftest import make_connection, outbound_message, sync_run

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/monitoring/dashboard/"


def tile_times(client, language):
    """Return the (last pull, last push) texts of the "shop" tile in `language`."""
    with translation.override(language):
        html = client.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    pull = html.split('data-field="last-pull">', 1)[1].split("</dd>", 1)[0]
    push = html.split('data-field="last-push">', 1)[1].split("</dd>", 1)[0]
    return pull, push


@pytest.fixture
def now():
    """Record a pull 20 s and a push about five minutes before now, and return now."""
    now = timezone.now()
    shop = make_connection("shop")
    sync_run(shop, finished_at=now - timedelta(seconds=20))
    outbound_message(
        shop, created_at=now - timedelta(minutes=6), state=OutboundState.DELIVERED, delivered_at=now - timedelta(minutes=5, seconds=10)
    )
    return now


def test_tile_times_in_german(admin_client, now):
    pull, push = tile_times(admin_client, "de")
    with translation.override("de"):
        pulled_at = format_utc_datetime(now - timedelta(seconds=20))
        pushed_at = format_utc_datetime(now - timedelta(minutes=5, seconds=10))

    assert pull == f"{pulled_at} (gerade eben)"
    assert push == f"{pushed_at} (vor 5\xa0Minuten)"


def test_tile_times_in_english(admin_client, now):
    pull, push = tile_times(admin_client, "en")

    assert pull.endswith(" (just now)")
    assert push.endswith(" (5\xa0minutes ago)")
