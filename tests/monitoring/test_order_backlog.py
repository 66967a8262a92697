"""Orders waiting for the ERP: the dashboard tile, its link and its chart share one definition."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone, translation

from core.formats import format_utc_datetime
from integrations.models import LeadingSystemRule, OutboundMessage, OutboundState
from monitoring.charts import dashboard_charts
from monitoring.services.backlog import erp_connection, order_backlog, order_backlog_series
from monitoring.services.series import chart_series, sample_times
from tests.monitoring.conftest import NOW, make_connection, outbound_message

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/monitoring/dashboard/"


def make_erp():
    erp = make_connection("odoo-erp", name="Odoo ERP", kind="odoo")
    LeadingSystemRule.objects.create(domain="orders", field_group="status", connection=erp)
    return erp


def order_message(connection, *, object_id, created_at=NOW, **fields):
    message = outbound_message(connection, entity="orders", created_at=created_at, **fields)
    OutboundMessage.objects.filter(pk=message.pk).update(object_id=str(object_id))
    return message


def backlog_html(html):
    start = html.index("data-backlog=")
    return html[start:html.index("</section>", start)]


def test_backlog_counts_waiting_erp_orders():
    # given order messages to the ERP in every state, and messages the count must leave out
    erp = make_erp()
    shop = make_connection("shop")
    order_message(erp, object_id=1, created_at=NOW - timedelta(minutes=30))
    order_message(erp, object_id=2)
    order_message(erp, object_id=3, attempts=4)
    order_message(erp, object_id=4, state=OutboundState.IN_FLIGHT, attempts=1)
    order_message(erp, object_id=5, state=OutboundState.DELIVERED, delivered_at=NOW - timedelta(minutes=1), attempts=1)
    for number, state in enumerate([OutboundState.FAILED, OutboundState.SUPERSEDED, OutboundState.WITHDRAWN, OutboundState.SKIPPED], 6):
        order_message(erp, object_id=number, state=state)
    outbound_message(erp, entity="stock")
    order_message(shop, object_id=20)

    # when the backlog is read
    backlog = order_backlog(NOW)

    # then only the ERP's pending and in-flight order messages count
    assert backlog.connection == erp
    assert backlog.queued == 2
    assert backlog.retrying == 1
    assert backlog.in_flight == 1
    assert backlog.total == 4
    assert backlog.oldest_at == NOW - timedelta(minutes=30)


def test_backlog_without_erp_is_none():
    make_connection("shop")

    assert order_backlog(NOW) is None
    assert order_backlog_series("24h", NOW) is None


def test_backlog_queries_do_not_grow(django_assert_num_queries):
    erp = make_erp()
    order_message(erp, object_id=1)

    with django_assert_num_queries(3):
        order_backlog(NOW)
    for number in range(2, 40):
        order_message(erp, object_id=number, created_at=NOW - timedelta(hours=number % 20))
    with django_assert_num_queries(3):
        order_backlog(NOW)
    with django_assert_num_queries(3):
        order_backlog_series("24h", NOW)
    erp = erp_connection()
    with django_assert_num_queries(1):
        order_backlog_series("14d", NOW, erp)
    with django_assert_num_queries(1):
        order_backlog(NOW, erp)


def test_outage_series_follows_waiting_orders():
    # given an earlier backlog from 01:00 and 02:00 that reached the ERP at 03:30, an ERP that
    # has been down since 05:00 (now is 09:00), and one order delivered at once at 07:10
    erp = make_erp()
    order_message(erp, object_id=1, created_at=NOW - timedelta(hours=8), state=OutboundState.DELIVERED, delivered_at=NOW - timedelta(hours=5, minutes=30), attempts=3)
    order_message(erp, object_id=2, created_at=NOW - timedelta(hours=7), state=OutboundState.DELIVERED, delivered_at=NOW - timedelta(hours=5, minutes=30), attempts=2)
    order_message(erp, object_id=3, created_at=NOW - timedelta(hours=1, minutes=50), state=OutboundState.DELIVERED, delivered_at=NOW - timedelta(hours=1, minutes=50), attempts=1)
    for hour in range(4):
        order_message(erp, object_id=10 + hour, created_at=NOW - timedelta(hours=4) + timedelta(hours=hour, minutes=5), attempts=hour)
    order_message(erp, object_id=20, created_at=NOW - timedelta(seconds=5), state=OutboundState.IN_FLIGHT)

    # when the series is read for the last 24 hours
    series = order_backlog_series("24h", NOW)
    backlog = order_backlog(NOW)

    # then each point counts the orders waiting at the end of its hour, and the last one is the tile
    assert len(series) == 24
    moments = sample_times("24h", NOW)
    assert moments[-2] == NOW
    assert moments[-1] == NOW
    by_end = dict(zip([moment.strftime("%H:%M") for moment in moments[:-1]], series[:-1], strict=True))
    assert by_end["00:00"] == 0
    assert by_end["01:00"] == 1
    assert by_end["02:00"] == 2
    assert by_end["03:00"] == 2
    assert by_end["04:00"] == 0
    assert by_end["05:00"] == 0
    assert by_end["06:00"] == 1
    assert by_end["07:00"] == 2
    assert by_end["08:00"] == 3
    assert by_end["09:00"] == 5
    assert series[-1] == 5
    assert backlog.total == 5


def test_lag_chart_misses_backlog_during_outage():
    # given an ERP outage of three hours during which nothing was delivered
    erp = make_erp()
    for hour in range(3):
        order_message(erp, object_id=hour, created_at=NOW - timedelta(hours=3 - hour) + timedelta(minutes=30), attempts=5)

    # when the charts are computed
    lag_series = chart_series("24h", NOW)
    backlog_series = order_backlog_series("24h", NOW)

    # then the lag of finished items shows nothing, while the backlog shows the waiting orders
    assert lag_series["lag_hot"][-3:] == [0.0, 0.0, 0.0]
    assert backlog_series[-4:] == [1, 2, 3, 3]
    assert order_backlog(NOW).total == 3


def test_backlog_chart_drawn_only_with_series():
    series = chart_series("24h", NOW)

    without = dashboard_charts(series, 60, 900)
    with_backlog = dashboard_charts(series, 60, 900, order_backlog=[0] * 23 + [7])

    assert len(without) == 4
    assert len(with_backlog) == 5
    title, svg, legend = with_backlog[-1]
    assert title == "Orders waiting for the ERP"
    assert '<polyline class="series backlog"' in svg
    assert legend == [("waiting order messages", "backlog")]


def test_dashboard_tile_matches_chart_and_link(admin_client):
    # given an ERP outage with three orders waiting, one of them being sent, and one delivered order
    now = timezone.now()
    erp = make_erp()
    make_connection("shop")
    order_message(erp, object_id=1, created_at=now - timedelta(minutes=50), attempts=6)
    order_message(erp, object_id=2, created_at=now - timedelta(minutes=20))
    order_message(erp, object_id=3, created_at=now - timedelta(minutes=10), state=OutboundState.IN_FLIGHT, attempts=1)
    order_message(erp, object_id=4, created_at=now - timedelta(minutes=70), state=OutboundState.DELIVERED, delivered_at=now - timedelta(minutes=60))

    # when the dashboard opens and the tile's count is followed
    response = admin_client.get(DASHBOARD)
    html = unescape(response.content.decode())
    tile = backlog_html(html)
    link = re.search(r'data-field="backlog-total"><a href="([^"]+)">(\d+)</a>', tile)
    listed = admin_client.get(link.group(1))

    # then the tile counts three, split by state, and the list shows exactly those three
    assert link.group(2) == "3"
    assert 'data-field="backlog-queued">1<' in tile
    assert 'data-field="backlog-retrying">1<' in tile
    assert 'data-field="backlog-in-flight">1<' in tile
    assert f'data-field="backlog-oldest">{format_utc_datetime(now - timedelta(minutes=50))} (50' in tile
    assert listed.status_code == 200
    assert sorted(message.object_id for message in listed.context["cl"].result_list) == ["1", "2", "3"]
    assert html.count('<svg class="kontor-chart"') == 5
    assert response.context["charts"][-1][0] == "Orders waiting for the ERP"


def test_dashboard_chart_series_ends_at_tile_count(admin_client):
    now = timezone.now()
    erp = make_erp()
    for number in range(4):
        order_message(erp, object_id=number, created_at=now - timedelta(hours=number))

    response = admin_client.get(DASHBOARD, {"range": "14d"})

    points = re.search(r'<polyline class="series backlog" points="([^"]+)"', response.content.decode()).group(1).split()
    assert len(points) == 14
    assert response.context["order_backlog"].total == 4
    # The y axis tops at 5 for a peak of 4, so the last point's height gives its value.
    top, bottom = 12, 200 - 28
    last_y = float(points[-1].split(",")[1])
    assert round((bottom - last_y) / (bottom - top) * 5) == 4


def test_dashboard_without_erp_shows_no_backlog(admin_client):
    make_connection("odoo-erp", kind="odoo")

    html = admin_client.get(DASHBOARD).content.decode()

    assert "data-backlog=" not in html
    assert html.count('<svg class="kontor-chart"') == 4


def test_backlog_chart_left_out_for_other_connection(admin_client):
    make_erp()
    make_connection("shop")

    for_shop = admin_client.get(DASHBOARD, {"connection": "shop"}).content.decode()
    for_erp = admin_client.get(DASHBOARD, {"connection": "odoo-erp"}).content.decode()

    assert for_shop.count('<svg class="kontor-chart"') == 4
    assert for_erp.count('<svg class="kontor-chart"') == 5


def test_backlog_tile_in_german(admin_client):
    erp = make_erp()
    order_message(erp, object_id=1, created_at=timezone.now() - timedelta(minutes=3))

    with translation.override("de"):
        html = admin_client.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert "Bestellungen an das ERP" in html
    assert "Bestellungen, die auf das ERP warten" in html
    assert "Wartet auf erneuten Versuch" in html
    assert "Wartende Bestellnachrichten" in html
