"""Charts of counts label their y axis with whole numbers only, never "0.5" of an order."""

import re
from datetime import timedelta

import pytest

from integrations.models import LeadingSystemRule, OutboundMessage
from monitoring.charts import dashboard_charts, whole_number_ticks
from tests.monitoring.conftest import NOW, make_connection, outbound_message

DASHBOARD = "/admin/monitoring/dashboard/"
LABELS = ["07:00", "08:00", "09:00"]


def axis_labels(svg):
    """Return the y-axis labels of a chart, bottom to top."""
    return re.findall(r'<text class="axis" x="66" y="[\d.]+" text-anchor="end">([^<]*)</text>', str(svg))


def series_with(inbound, outbound, errors, seconds=(0, 0, 0)):
    return {
        "labels": LABELS,
        "inbound": inbound,
        "outbound": outbound,
        "errors": errors,
        "warnings": [0, 0, 0],
        "waiting_hot": list(seconds),
        "lag_hot": list(seconds),
        "waiting_master": list(seconds),
        "lag_master": list(seconds),
    }


@pytest.mark.parametrize(
    ("top", "ticks"),
    [
        (1, (0, 1)),
        (2, (0, 1, 2)),
        (5, (0, 1, 2, 3, 4, 5)),
        (10, (0, 5, 10)),
        (50, (0, 25, 50)),
        (500, (0, 250, 500)),
    ],
)
def test_whole_number_ticks(top, ticks):
    assert whole_number_ticks(top) == ticks


@pytest.mark.parametrize(
    ("peak", "expected"),
    [
        (0, ["0", "1"]),
        (1, ["0", "1"]),
        (4, ["0", "1", "2", "3", "4", "5"]),
        (7, ["0", "5", "10"]),
    ],
)
def test_count_charts_label_whole_numbers(peak, expected):
    charts = dashboard_charts(series_with([0, peak, 0], [peak, 0, 0], [0, 0, peak]), 60, 900, order_backlog=[0, 0, peak])

    by_title = {title: axis_labels(svg) for title, svg, _legend in charts}
    assert by_title["Events in and out"] == expected
    assert by_title["Sync errors"] == expected
    assert by_title["Orders waiting for the ERP"] == expected


def test_lag_charts_keep_duration_ticks():
    # The hot target of 60 s tops the axis at 1 min, halved at 30 s.
    charts = dashboard_charts(series_with([0, 0, 0], [0, 0, 0], [0, 0, 0], seconds=(0, 40, 0)), 60, 900)

    by_title = {title: axis_labels(svg) for title, svg, _legend in charts}
    assert by_title["Lag of hot data (stock, prices, orders)"] == ["0 s", "30 s", "1 min"]


@pytest.mark.django_db
def test_dashboard_backlog_chart_of_one_order(admin_client):
    # given one order waiting for the ERP, so the backlog chart peaks at 1
    erp = make_connection("odoo-erp", name="Odoo ERP", kind="odoo")
    LeadingSystemRule.objects.create(domain="orders", field_group="status", connection=erp)
    message = outbound_message(erp, entity="orders", created_at=NOW - timedelta(minutes=30))
    OutboundMessage.objects.filter(pk=message.pk).update(object_id="1")

    # when the dashboard opens
    response = admin_client.get(DASHBOARD)

    # then no count chart has a fractional tick
    by_title = {title: axis_labels(svg) for title, svg, _legend in response.context["charts"]}
    assert by_title["Orders waiting for the ERP"] == ["0", "1"]
    assert by_title["Events in and out"] == ["0", "1"]
    assert by_title["Sync errors"] == ["0", "1"]
