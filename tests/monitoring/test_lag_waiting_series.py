"""The lag charts' line of the oldest waiting change ends on the tiles' lag, also during an outage."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.models import InboundState, OutboundState
from monitoring.services.lag import current_lags, oldest_waiting_series
from monitoring.services.series import chart_series, sample_times
from tests.monitoring.conftest import NOW, inbound_event, make_connection, outbound_message

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/monitoring/dashboard/"


def erp_outage():
    """An ERP that has taken nothing for 90 minutes, while stock reaches the shop within 3 s."""
    erp = make_connection("odoo-erp", kind="odoo")
    shop = make_connection("shop")
    outbound_message(erp, entity="orders", created_at=NOW - timedelta(minutes=90), attempts=12)
    outbound_message(erp, entity="orders", created_at=NOW - timedelta(minutes=30), attempts=4)
    for minutes in range(5, 180, 10):
        created = NOW - timedelta(minutes=minutes)
        outbound_message(shop, entity="stock", created_at=created, state=OutboundState.DELIVERED, delivered_at=created + timedelta(seconds=3))
    return erp, shop


def test_waiting_line_ends_on_tile_lag():
    # given an ERP outage of 90 minutes
    erp, shop = erp_outage()

    # when the tiles' lags and the 24-hour series are read
    tile_hot = {connection_id: lags[0].seconds for connection_id, lags in current_lags([erp.pk, shop.pk], NOW).items()}
    all_connections = chart_series("24h", NOW)
    erp_only = chart_series("24h", NOW, connection_id=erp.pk)

    # then the line of the oldest waiting change ends on the ERP tile's lag
    assert tile_hot[erp.pk] == 5400.0
    assert tile_hot[shop.pk] == 0.0
    assert erp_only["waiting_hot"][-1] == tile_hot[erp.pk]
    assert all_connections["waiting_hot"][-1] == max(tile_hot.values())
    # while the longest wait of finished items, the old lag chart, saw only the shop's 3 s
    assert all_connections["lag_hot"][-2] == 3.0
    assert max(all_connections["lag_hot"]) == 3.0
    assert max(erp_only["lag_hot"]) == 0.0


def test_waiting_line_over_outage_hours():
    # given the same outage, with the ERP's oldest order written at 07:30
    erp, _shop = erp_outage()

    # when the ERP's series is read
    waiting = chart_series("24h", NOW, connection_id=erp.pk)["waiting_hot"]
    moments = sample_times("24h", NOW)

    # then it grows from the order's arrival on, read at the end of each hour
    by_end = dict(zip([moment.strftime("%H:%M") for moment in moments[:-1]], waiting[:-1], strict=True))
    assert by_end["07:00"] == 0.0
    assert by_end["08:00"] == 30 * 60.0
    assert by_end["09:00"] == 90 * 60.0
    assert waiting[-1] == 90 * 60.0


def test_waiting_line_counts_delivered_since():
    # given a price change written at 06:40 and delivered at 08:20, after an outage
    shop = make_connection("shop")
    outbound_message(shop, entity="prices", created_at=NOW - timedelta(minutes=140), state=OutboundState.DELIVERED, delivered_at=NOW - timedelta(minutes=40))

    # when the series is read at 09:00
    series = oldest_waiting_series(sample_times("24h", NOW), NOW)

    # then it waited at 07:00 and 08:00, and no longer at 09:00
    assert series["hot"][-4:] == [20 * 60.0, 80 * 60.0, 0.0, 0.0]
    assert max(series["hot"][:-4]) == 0.0
    assert series["hot"][-1] == current_lags([shop.pk], NOW)[shop.pk][0].seconds


def test_waiting_line_reads_inbox():
    # given a catalog event pending for 20 minutes, and one received at 07:10 and processed at 08:05
    pim = make_connection("pim", kind="akeneo")
    inbound_event(pim, entity="products", received_at=NOW - timedelta(minutes=20), state=InboundState.PENDING)
    inbound_event(pim, entity="products", received_at=NOW - timedelta(minutes=110), processed_at=NOW - timedelta(minutes=55))

    # when the series is read
    series = oldest_waiting_series(sample_times("24h", NOW), NOW, connection_id=pim.pk)

    # then the pending event ends the master line on the tile's lag, and the processed one waited at 08:00
    assert series["master"][-1] == 20 * 60.0
    assert series["master"][-1] == current_lags([pim.pk], NOW)[pim.pk][1].seconds
    assert series["master"][-3] == 50 * 60.0
    assert series["hot"] == [0.0] * 24


def test_waiting_series_costs_two_queries(django_assert_num_queries):
    erp, _shop = erp_outage()
    moments = sample_times("14d", NOW)

    with django_assert_num_queries(2):
        oldest_waiting_series(moments, NOW)
    with django_assert_num_queries(2):
        oldest_waiting_series(moments, NOW, connection_id=erp.pk)


def test_lag_chart_draws_waiting_line(admin_client):
    now = timezone.now()
    erp = make_connection("odoo-erp", kind="odoo")
    outbound_message(erp, entity="orders", created_at=now - timedelta(minutes=45))

    response = admin_client.get(DASHBOARD, {"connection": "odoo-erp"})

    html = response.content.decode()
    assert '<polyline class="series waiting-hot"' in html
    assert '<polyline class="series waiting-master"' in html
    assert "oldest still waiting" in html
    assert "longest wait of finished items" in html


def test_lag_chart_legend_in_german(admin_client):
    make_connection("shop")

    html = admin_client.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert "älteste noch wartende Änderung" in html
    assert "längste Wartezeit erledigter Elemente" in html
