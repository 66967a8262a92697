"""The sync run admin counts a run's open import warnings apart from its open sync errors."""

import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from integrations.models import Connection, SyncDirection, SyncError, SyncRun

pytestmark = pytest.mark.django_db

RUNS = reverse("admin:integrations_syncrun_changelist")


def record(run, external_id, *, severity=None, resolved=False):
    """Record a sync error of `run`. With severity "warning" it is an import warning as the importer stores it."""
    payload = {"line": 3, "severity": severity} if severity else None
    return SyncError.objects.create(
        connection=run.connection, sync_run=run, direction=SyncDirection.INBOUND, entity="products",
        external_id=external_id, code="akeneo_missing_name" if severity == "warning" else "akeneo_invalid", message="m",
        payload=payload, resolved=resolved,
    )


@pytest.fixture
def import_run():
    """Return a succeeded Akeneo import with 80 open warnings, 1 resolved warning and 2 open errors."""
    connection = Connection.objects.create(kind="akeneo", name="PIM", slug="pim", base_url="http://pim.invalid")
    run = SyncRun.objects.create(
        kind="pull", connection=connection, entity="products", state="succeeded", read_count=100, failed_count=2,
        started_at=timezone.now(),
    )
    for number in range(80):
        record(run, f"SKU-{number}", severity="warning")
    record(run, "SKU-DONE", severity="warning", resolved=True)
    record(run, "SKU-BAD")
    record(run, "SKU-PRICE", severity="error")
    return run


def cell(html, field):
    """Return the inner HTML of the first list cell of `field`."""
    return re.search(rf'<td class="field-{field}">(.*?)</td>', html).group(1)


def link_of(markup):
    return unescape(re.search(r'href="([^"]+)"', markup).group(1))


def listed(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return sorted(error.external_id for error in response.context["cl"].result_list)


def test_open_errors_column_leaves_warnings_out(staff_client, import_run):
    html = staff_client.get(RUNS).content.decode()

    errors = cell(html, "open_errors_link")

    assert re.fullmatch(r'<a href="[^"]+">2</a>', errors)
    assert link_of(errors) == f"/admin/integrations/syncerror/?sync_run__id__exact={import_run.pk}&resolved__exact=0&severity=error"
    assert listed(staff_client, link_of(errors)) == ["SKU-BAD", "SKU-PRICE"]


def test_open_warnings_column(staff_client, import_run):
    html = staff_client.get(RUNS).content.decode()

    warnings = cell(html, "open_warnings_link")

    assert re.fullmatch(r'<a href="[^"]+">80</a>', warnings)
    assert link_of(warnings) == f"/admin/integrations/syncerror/?sync_run__id__exact={import_run.pk}&resolved__exact=0&severity=warning"
    assert len(listed(staff_client, link_of(warnings))) == 80


def test_failed_link_lists_errors_only(staff_client, import_run):
    html = staff_client.get(RUNS).content.decode()

    assert listed(staff_client, link_of(cell(html, "failed_link"))) == ["SKU-BAD", "SKU-PRICE"]


def test_run_without_warnings_keeps_plain_link(staff_client, import_run):
    SyncError.objects.filter(sync_run=import_run).warnings().update(resolved=True)

    html = staff_client.get(RUNS).content.decode()

    assert link_of(cell(html, "open_errors_link")) == f"/admin/integrations/syncerror/?sync_run__id__exact={import_run.pk}&resolved__exact=0"
    assert cell(html, "open_warnings_link") == "0"


def test_run_with_only_warnings(staff_client, import_run):
    SyncError.objects.filter(sync_run=import_run).problems().update(resolved=True)

    html = staff_client.get(RUNS).content.decode()

    assert cell(html, "open_errors_link") == "0"
    assert re.fullmatch(r'<a href="[^"]+">80</a>', cell(html, "open_warnings_link"))


def test_sort_by_open_warnings(staff_client, import_run):
    quiet = SyncRun.objects.create(kind="pull", connection=import_run.connection, entity="products", started_at=timezone.now())
    column = staff_client.get(RUNS).context["cl"].list_display.index("open_warnings_link")

    rows = staff_client.get(RUNS, {"o": f"-{column}"}).context["cl"].result_list

    assert [run.pk for run in rows] == [import_run.pk, quiet.pk]
    assert [run.open_warnings for run in rows] == [80, 0]


def test_detail_counts_errors_and_warnings(staff_client, import_run):
    html = staff_client.get(reverse("admin:integrations_syncrun_change", args=[import_run.pk])).content.decode()

    errors_link = re.search(r'<a href="([^"]+)">2 open sync errors</a>', html)
    warnings_link = re.search(r'<a href="([^"]+)">80 open warnings</a>', html)

    assert errors_link
    assert warnings_link
    assert unescape(errors_link.group(1)).endswith("&resolved__exact=0&severity=error")
    assert unescape(warnings_link.group(1)).endswith("&resolved__exact=0&severity=warning")


def test_detail_singular(staff_client, import_run):
    SyncError.objects.filter(sync_run=import_run, external_id="SKU-BAD").update(resolved=True)
    SyncError.objects.filter(sync_run=import_run).warnings().exclude(external_id="SKU-0").update(resolved=True)

    html = staff_client.get(reverse("admin:integrations_syncrun_change", args=[import_run.pk])).content.decode()

    assert ">1 open sync error</a>" in html
    assert ">1 open warning</a>" in html


def test_detail_in_german(staff_client, import_run):
    # The override restores the language afterwards, while LocaleMiddleware would leave German active.
    with translation.override("de"):
        detail = staff_client.get(reverse("admin:integrations_syncrun_change", args=[import_run.pk]), HTTP_ACCEPT_LANGUAGE="de")
        listing = staff_client.get(RUNS, HTTP_ACCEPT_LANGUAGE="de")

    detail_html = detail.content.decode()
    assert ">2 offene Synchronisationsfehler</a>" in detail_html
    assert ">80 offene Warnungen</a>" in detail_html
    assert "Importwarnungen" in detail_html
    assert "Offene Warnungen" in listing.content.decode()
