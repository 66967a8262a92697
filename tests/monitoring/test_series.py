"""Chart series: counts and longest waits per hour, and the SVG drawn from them."""

from datetime import timedelta

import pytest

from integrations.models import InboundState, OutboundState
from monitoring.charts import line_chart, nice_duration_maximum, nice_maximum
from monitoring.services.series import chart_series
from tests.monitoring.conftest import (
    NOW,
    inbound_event,
    make_connection,
    outbound_message,
    sync_error,
)

pytestmark = pytest.mark.django_db


def test_series_per_hour():
    # given activity in the current hour (09:xx) and two hours earlier (07:xx)
    shop = make_connection("shop")
    other = make_connection("other")
    for _ in range(3):
        inbound_event(shop, received_at=NOW + timedelta(minutes=5), processed_at=NOW + timedelta(minutes=5, seconds=2))
    inbound_event(shop, entity="products", received_at=NOW - timedelta(hours=2), state=InboundState.PROCESSED, processed_at=NOW - timedelta(hours=2) + timedelta(seconds=50))
    outbound_message(shop, entity="stock", created_at=NOW, state=OutboundState.DELIVERED, delivered_at=NOW + timedelta(seconds=7))
    sync_error(shop, created_at=NOW - timedelta(hours=2))
    inbound_event(other, received_at=NOW)

    # when the 24-hour series of the shop is built at 09:30
    series = chart_series("24h", NOW + timedelta(minutes=30), connection_id=shop.pk)

    # then the last bucket is 09:00 and the counts and waits land in their hours
    assert len(series["labels"]) == 24
    assert series["labels"][-1] == "09:00"
    assert series["labels"][-3] == "07:00"
    assert series["inbound"][-1] == 3
    assert series["inbound"][-3] == 1
    assert sum(series["inbound"]) == 4
    assert series["outbound"][-1] == 1
    assert series["errors"][-3] == 1
    assert series["lag_hot"][-1] == 7.0
    assert series["lag_master"][-3] == 50.0
    assert sum(series["lag_master"]) == 50.0


def test_series_per_day_for_all_connections():
    shop = make_connection("shop")
    inbound_event(shop, received_at=NOW - timedelta(days=1))
    inbound_event(make_connection("other"), received_at=NOW)

    series = chart_series("14d", NOW)

    assert len(series["labels"]) == 14
    assert series["labels"][-1] == "02.12."
    assert series["inbound"][-2:] == [1, 1]


def test_nice_maximum():
    assert [nice_maximum(value) for value in (0, 0.3, 1, 3, 7, 10, 11, 250)] == [1, 0.5, 1, 5, 10, 10, 20, 500]


def test_line_chart_escapes_and_scales():
    svg = line_chart("Events <in>", ["08:00", "09:00"], [("received", [0, 10], "in")])

    assert svg.startswith('<svg class="kontor-chart"')
    assert "<title>Events &lt;in&gt;</title>" in svg
    # 10 is the top of the scale: the last point sits at the top margin, the first at the bottom.
    assert 'points="72.0,172.0 544.0,12.0"' in svg
    assert '<text class="axis" x="66" y="16.0" text-anchor="end">10</text>' in svg


def test_nice_duration_maximum():
    assert [nice_duration_maximum(s) for s in (0, 45, 61, 900, 901, 86400, 90000)] == [10, 60, 120, 900, 1800, 86400, 172800]
