"""The dashboard shows one tile per connection with its state, and links to filtered admin lists."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone

from core.formats import format_utc_datetime
from integrations.models import InboundState, OutboundState, SyncRunState
from tests.monitoring.conftest import (
    inbound_event,
    make_connection,
    open_circuit,
    outbound_message,
    sync_error,
    sync_run,
)

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/monitoring/dashboard/"


def tiles(html):
    """Return {slug: state} of the tiles in the page."""
    return dict(re.findall(r'data-connection="([^"]+)" data-state="([^"]+)"', html))


def tile_html(html, slug):
    start = html.index(f'data-connection="{slug}"')
    return html[start:html.index("</section>", start)]


def test_dashboard_with_no_connections(admin_client):
    response = admin_client.get(DASHBOARD)

    html = response.content.decode()
    assert response.status_code == 200
    assert tiles(html) == {}
    assert "No connections yet." in html
    assert html.count('<svg class="kontor-chart"') == 4


def test_dashboard_with_one_healthy_connection(admin_client):
    # given a connection that pulled and pushed a minute ago
    now = timezone.now()
    shop = make_connection("shop")
    sync_run(shop, finished_at=now - timedelta(minutes=1))
    outbound_message(shop, created_at=now - timedelta(minutes=2), state=OutboundState.DELIVERED, delivered_at=now - timedelta(minutes=1))

    # when the dashboard opens
    html = admin_client.get(DASHBOARD).content.decode()

    # then it shows one healthy tile with its times, no errors and a closed circuit
    assert tiles(html) == {"shop": "healthy"}
    tile = tile_html(html, "shop")
    assert f'data-field="last-pull">{format_utc_datetime(now - timedelta(minutes=1))} (' in tile
    assert f'data-field="last-push">{format_utc_datetime(now - timedelta(minutes=1))} (' in tile
    assert re.search(r'data-field="open-errors"><a [^>]+>0</a>', tile)
    assert 'data-field="circuit" class="circuit-closed">closed<' in tile
    assert '<tr data-lag="hot" class="">' in tile
    assert "<td>Hot</td><td>0 s</td><td>1 min</td>" in tile
    assert "<td>Master</td><td>0 s</td><td>15 min</td>" in tile


def test_dashboard_with_many_connections_in_each_state(admin_client):
    # given a connection per state
    now = timezone.now()
    make_connection("a-healthy")
    sync_error(make_connection("b-degraded-errors"), created_at=now)
    lagging = make_connection("c-degraded-lag")
    outbound_message(lagging, entity="stock", created_at=now - timedelta(minutes=5))
    open_circuit(make_connection("d-failing-circuit"))
    sync_run(make_connection("e-failing-run"), state=SyncRunState.FAILED, started_at=now, finished_at=now)
    make_connection("f-disabled", enabled=False)

    # when the dashboard opens
    html = unescape(admin_client.get(DASHBOARD).content.decode())

    # then each tile shows its state and the reason
    assert tiles(html) == {
        "a-healthy": "healthy",
        "b-degraded-errors": "degraded",
        "c-degraded-lag": "degraded",
        "d-failing-circuit": "failing",
        "e-failing-run": "failing",
        "f-disabled": "disabled",
    }
    assert "1 sync error waits for a person." in tile_html(html, "b-degraded-errors")
    assert '<tr data-lag="hot" class="over-target">' in tile_html(html, "c-degraded-lag")
    assert "Hot data lags behind its target." in tile_html(html, "c-degraded-lag")
    assert 'class="circuit-open">open<' in tile_html(html, "d-failing-circuit")
    assert "The latest sync run failed." in tile_html(html, "e-failing-run")
    assert "The connection is switched off" in tile_html(html, "f-disabled")


def test_tile_links_open_filtered_admin_lists(admin_client):
    # given two connections with one open sync error each
    now = timezone.now()
    shop, erp = make_connection("shop"), make_connection("erp")
    sync_error(shop, created_at=now, external_id="SHOP-SKU")
    sync_error(erp, created_at=now, external_id="ERP-SKU")
    sync_run(shop)
    sync_run(erp)

    # when the shop tile's links are followed
    tile = unescape(tile_html(admin_client.get(DASHBOARD).content.decode(), "shop"))
    errors_url = re.search(r'href="(/admin/integrations/syncerror/[^"]+)"', tile).group(1)
    runs_url = re.search(r'href="(/admin/integrations/syncrun/[^"]+)"', tile).group(1)
    errors_page = admin_client.get(errors_url)
    runs_page = admin_client.get(runs_url)

    # then the sync error list shows only the shop's open errors, with the retry actions
    assert errors_url == f"/admin/integrations/syncerror/?connection__id__exact={shop.pk}&resolved__exact=0&severity=error"
    assert errors_page.status_code == 200
    assert errors_page.context["cl"].result_count == 1
    assert errors_page.context["cl"].result_list[0].external_id == "SHOP-SKU"
    assert "retry" in dict(errors_page.context["action_form"].fields["action"].choices)
    assert runs_page.status_code == 200
    assert [run.connection_id for run in runs_page.context["cl"].result_list] == [shop.pk]


def test_charts_count_events_per_hour(admin_client):
    # given three events and one delivery in the current hour
    now = timezone.now()
    shop = make_connection("shop")
    for _ in range(3):
        inbound_event(shop, received_at=now, state=InboundState.PROCESSED, processed_at=now)
    outbound_message(shop, created_at=now, state=OutboundState.DELIVERED, delivered_at=now)

    # when the dashboard opens for this connection
    response = admin_client.get(DASHBOARD, {"connection": "shop"})

    # then the series end with those counts and the charts are drawn
    html = response.content.decode()
    assert "Activity of Shop" in html
    assert '<polyline class="series in"' in html
    assert '<polyline class="series out"' in html


def test_dashboard_requires_staff(client, django_user_model):
    anonymous = client.get(DASHBOARD)
    django_user_model.objects.create_user("clerk", password="pw-clerk-123", is_staff=False)
    client.login(username="clerk", password="pw-clerk-123")
    not_staff = client.get(DASHBOARD)

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/admin/login/")
    assert not_staff.status_code == 302


def test_admin_index_links_dashboard(admin_client):
    html = admin_client.get("/admin/").content.decode()

    assert 'href="/admin/monitoring/dashboard/"' in html
