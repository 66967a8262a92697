"""Import warnings stay out of the sync error counts: metrics, the errors chart, the tile's errors link and its reason."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone, translation
from prometheus_client.parser import text_string_to_metric_families

from integrations.models import SyncDirection
from monitoring.charts import dashboard_charts
from monitoring.metrics import render_metrics
from monitoring.services.health import DEGRADED, connection_tiles
from monitoring.services.series import chart_series
from tests.monitoring.conftest import NOW, make_connection, sync_error, sync_run

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/monitoring/dashboard/"


def import_warning(connection, sku, *, created_at=NOW, resolved=False):
    """Record an Akeneo import warning like the importer stores it: severity in the payload."""
    return sync_error(
        connection, created_at=created_at, code="akeneo_missing_name", message="The product has no name.",
        direction=SyncDirection.INBOUND, external_id=sku, payload={"entity": "products", "line": 3, "severity": "warning"},
        resolved=resolved,
    )


def samples(text):
    """Return {(sample name, sorted label items): value} of a Prometheus text exposition."""
    parsed = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            parsed[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return parsed


def tile_html(html, slug):
    start = html.index(f'data-connection="{slug}"')
    return html[start:html.index("</section>", start)]


@pytest.fixture
def pim():
    """Return an Akeneo connection with 3 open and 1 resolved warning and 2 open errors, one of them an import error."""
    connection = make_connection("pim", kind="akeneo")
    for number in range(3):
        import_warning(connection, f"SKU-{number}")
    import_warning(connection, "SKU-DONE", resolved=True)
    sync_error(connection, direction=SyncDirection.INBOUND, external_id="SKU-BAD")
    sync_error(connection, direction=SyncDirection.INBOUND, external_id="SKU-PRICE", payload={"line": 4, "severity": "error"})
    return connection


# Prometheus metrics


def test_open_errors_metric_leaves_warnings_out(pim):
    parsed = samples(render_metrics(NOW).decode())

    assert parsed[("kontor_sync_errors_open", (("connection", "pim"),))] == 2


def test_open_warnings_metric(pim):
    make_connection("shop")

    parsed = samples(render_metrics(NOW).decode())

    assert parsed[("kontor_sync_warnings_open", (("connection", "pim"),))] == 3
    assert parsed[("kontor_sync_warnings_open", (("connection", "shop"),))] == 0


def test_recorded_errors_counter_leaves_warnings_out(pim):
    parsed = samples(render_metrics(NOW).decode())

    assert parsed[("kontor_sync_errors_total", (("connection", "pim"), ("direction", "inbound")))] == 2


def test_recorded_warnings_counter(pim):
    parsed = samples(render_metrics(NOW).decode())

    # The resolved warning stays counted: the counter counts what was recorded.
    assert parsed[("kontor_sync_warnings_total", (("connection", "pim"),))] == 4


# The sync errors chart


def test_errors_series_leaves_warnings_out(pim):
    series = chart_series("24h", NOW + timedelta(minutes=30), connection_id=pim.pk)

    assert series["errors"][-1] == 2
    assert sum(series["errors"]) == 2


def test_warnings_series(pim):
    import_warning(pim, "SKU-EARLIER", created_at=NOW - timedelta(hours=2))

    series = chart_series("24h", NOW + timedelta(minutes=30), connection_id=pim.pk)

    assert series["warnings"][-1] == 4
    assert series["warnings"][-3] == 1
    assert sum(series["warnings"]) == 5


def test_errors_chart_draws_warnings_line(pim):
    series = chart_series("24h", NOW + timedelta(minutes=30))

    charts = {title: (svg, legend) for title, svg, legend in dashboard_charts(series, 60, 900)}
    svg, legend = charts["Sync errors"]

    assert legend == [("sync errors", "errors"), ("import warnings", "warnings")]
    assert '<polyline class="series warnings"' in svg
    assert "<title>import warnings</title>" in svg


def test_errors_chart_legend_in_german(admin_client, pim):
    with translation.override("de"):
        response = admin_client.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="de")

    legends = {title: legend for title, _svg, legend in response.context["charts"]}
    assert legends["Synchronisationsfehler"] == [("Synchronisationsfehler", "errors"), ("Importwarnungen", "warnings")]


# The tile's errors link and reason


def test_errors_link_lists_errors_only(admin_client, pim):
    sync_run(pim, finished_at=timezone.now())

    tile = unescape(tile_html(admin_client.get(DASHBOARD).content.decode(), "pim"))
    errors_url = re.search(r'data-field="open-errors"><a href="([^"]+)"', tile).group(1)
    page = admin_client.get(errors_url)

    assert errors_url == f"/admin/integrations/syncerror/?connection__id__exact={pim.pk}&resolved__exact=0&severity=error"
    assert page.status_code == 200
    assert sorted(error.external_id for error in page.context["cl"].result_list) == ["SKU-BAD", "SKU-PRICE"]


def test_footer_link_lists_errors_only(admin_client, pim):
    sync_run(pim, finished_at=timezone.now())

    tile = unescape(tile_html(admin_client.get(DASHBOARD).content.decode(), "pim"))
    footer = tile[tile.index("<footer>"):]
    footer_url = re.search(r'<a href="(/admin/integrations/syncerror/[^"]+)">Sync errors</a>', footer).group(1)

    assert footer_url == f"/admin/integrations/syncerror/?connection__id__exact={pim.pk}&resolved__exact=0&severity=error"
    assert len(admin_client.get(footer_url).context["cl"].result_list) == 2


@pytest.mark.parametrize(
    ("errors", "language", "reason"),
    [
        (1, "en", "1 sync error waits for a person."),
        (2, "en", "2 sync errors wait for a person."),
        (1, "de", "1 Synchronisationsfehler wartet auf einen Menschen."),
        (2, "de", "2 Synchronisationsfehler warten auf einen Menschen."),
    ],
)
def test_degraded_reason_singular_and_plural(errors, language, reason):
    shop = make_connection("shop")
    sync_run(shop, finished_at=timezone.now())
    for number in range(errors):
        sync_error(shop, created_at=timezone.now(), external_id=f"SKU-{number}")

    with translation.override(language):
        tile = connection_tiles()[0]

    assert tile.state == DEGRADED
    assert tile.reasons == [reason]
