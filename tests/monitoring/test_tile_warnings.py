"""A connection tile counts import warnings apart from sync errors, and only errors make it degraded."""

import re
from html import unescape

import pytest
from django.utils import timezone, translation

from integrations.models import SyncDirection
from monitoring.services.health import DEGRADED, HEALTHY, connection_tiles
from tests.monitoring.conftest import make_connection, sync_error, sync_run

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/monitoring/dashboard/"


def import_warning(connection, sku, **fields):
    """Record an open Akeneo import warning like the importer stores it: severity in the payload."""
    payload = {"entity": "products", "source": "products.csv", "line": 3, "column": "name-de_DE", "value": "", "severity": "warning"}
    return sync_error(
        connection, created_at=timezone.now(), code="akeneo_missing_name", message="The product has no name.",
        direction=SyncDirection.INBOUND, external_id=sku, payload=payload, **fields,
    )


def tile_of(slug):
    return next(tile for tile in connection_tiles() if tile.connection.slug == slug)


def tile_html(html, slug):
    start = html.index(f'data-connection="{slug}"')
    return html[start:html.index("</section>", start)]


def test_tile_with_only_warnings_is_healthy():
    pim = make_connection("pim", kind="akeneo")
    sync_run(pim, finished_at=timezone.now())
    for number in range(80):
        import_warning(pim, f"SKU-{number}")

    tile = tile_of("pim")

    assert tile.state == HEALTHY
    assert tile.reasons == []
    assert tile.open_errors == 0
    assert tile.open_warnings == 80


def test_tile_with_one_error_is_degraded():
    pim = make_connection("pim", kind="akeneo")
    sync_run(pim, finished_at=timezone.now())
    for number in range(3):
        import_warning(pim, f"SKU-{number}")
    sync_error(pim, created_at=timezone.now(), external_id="SKU-BAD")

    tile = tile_of("pim")

    assert tile.state == DEGRADED
    assert tile.reasons == ["1 sync error waits for a person."]
    assert tile.open_errors == 1
    assert tile.open_warnings == 3


def test_import_error_counts_as_error():
    # An import issue with severity "error" rejected its record, unlike a warning.
    pim = make_connection("pim", kind="akeneo")
    sync_run(pim, finished_at=timezone.now())
    sync_error(pim, created_at=timezone.now(), code="akeneo_invalid_price", payload={"line": 4, "severity": "error"})

    tile = tile_of("pim")

    assert tile.state == DEGRADED
    assert tile.open_errors == 1
    assert tile.open_warnings == 0


def test_resolved_warnings_not_counted():
    pim = make_connection("pim", kind="akeneo")
    sync_run(pim, finished_at=timezone.now())
    import_warning(pim, "SKU-1", resolved=True)
    import_warning(pim, "SKU-2")

    assert tile_of("pim").open_warnings == 1


def test_dashboard_shows_warnings_count(admin_client):
    pim = make_connection("pim", kind="akeneo")
    sync_run(pim, finished_at=timezone.now())
    for number in range(80):
        import_warning(pim, f"SKU-{number}")

    html = unescape(admin_client.get(DASHBOARD).content.decode())

    tile = tile_html(html, "pim")
    assert 'data-state="healthy"' in tile
    assert re.search(r'data-field="open-errors"><a [^>]+>0</a>', tile)
    assert re.search(r'<dt>Open warnings</dt>\s*<dd data-field="open-warnings"><a [^>]+>80</a>', tile)
    assert "wait for a person" not in tile


def test_warnings_link_lists_only_warnings(admin_client):
    pim = make_connection("pim", kind="akeneo")
    sync_run(pim, finished_at=timezone.now())
    import_warning(pim, "SKU-WARN")
    sync_error(pim, created_at=timezone.now(), external_id="SKU-ERROR")

    tile = unescape(tile_html(admin_client.get(DASHBOARD).content.decode(), "pim"))
    warnings_url = re.search(r'data-field="open-warnings"><a href="([^"]+)"', tile).group(1)
    page = admin_client.get(warnings_url)

    assert warnings_url == f"/admin/integrations/syncerror/?connection__id__exact={pim.pk}&resolved__exact=0&severity=warning"
    assert page.status_code == 200
    assert [error.external_id for error in page.context["cl"].result_list] == ["SKU-WARN"]


def test_dashboard_warnings_in_german(admin_client):
    pim = make_connection("pim", kind="akeneo")
    sync_run(pim, finished_at=timezone.now())
    for number in range(80):
        import_warning(pim, f"SKU-{number}")

    # The override restores the language afterwards; LocaleMiddleware would leave German active.
    with translation.override("de"):
        html = unescape(admin_client.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="de").content.decode())

    tile = tile_html(html, "pim")
    assert re.search(r'<dt>Offene Warnungen</dt>\s*<dd data-field="open-warnings"><a [^>]+>80</a>', tile)
    assert "deshalb gilt die Verbindung durch sie nicht als beeinträchtigt." in tile
