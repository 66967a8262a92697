"""Import warnings apart from sync errors: the shared queryset split and the admin's severity filter and column."""

import pytest
from django.urls import reverse
from django.utils import translation

from integrations.admin.sync import SeverityFilter
from integrations.models import Connection, SyncDirection, SyncError

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:integrations_syncerror_changelist")

# external id: payload, for each shape a sync error's payload takes.
PAYLOADS = {
    "NO-PAYLOAD": None,
    "EMPTY": {},
    "NO-SEVERITY": {"line": 3, "column": "ean"},
    "IMPORT-ERROR": {"line": 4, "severity": "error"},
    "IMPORT-WARNING": {"line": 5, "severity": "warning"},
    "LIST": ["severity", "warning"],
}


@pytest.fixture
def pim():
    """Return an Akeneo connection with one open sync error per payload shape."""
    connection = Connection.objects.create(kind="akeneo", name="PIM", slug="pim", base_url="http://pim.invalid")
    for external_id, payload in PAYLOADS.items():
        SyncError.objects.create(
            connection=connection, direction=SyncDirection.INBOUND, entity="products", external_id=external_id,
            code="akeneo_missing_name" if external_id == "IMPORT-WARNING" else "akeneo_invalid", message="m",
            payload=payload,
        )
    return connection


def external_ids(queryset):
    return sorted(queryset.values_list("external_id", flat=True))


def listed(client, **params):
    response = client.get(CHANGELIST, params)
    assert response.status_code == 200
    return sorted(error.external_id for error in response.context["cl"].result_list)


def test_warnings_are_import_warnings_only(pim):
    assert external_ids(SyncError.objects.warnings()) == ["IMPORT-WARNING"]


def test_problems_are_all_other_errors(pim):
    assert external_ids(SyncError.objects.problems()) == ["EMPTY", "IMPORT-ERROR", "LIST", "NO-PAYLOAD", "NO-SEVERITY"]


def test_split_through_related_manager(pim):
    assert pim.sync_errors.warnings().count() == 1
    assert pim.sync_errors.problems().count() == 5


def test_admin_filter_only_warnings(staff_client, pim):
    assert listed(staff_client, severity="warning") == ["IMPORT-WARNING"]


def test_admin_filter_only_errors(staff_client, pim):
    assert listed(staff_client, severity="error") == ["EMPTY", "IMPORT-ERROR", "LIST", "NO-PAYLOAD", "NO-SEVERITY"]


def test_admin_without_filter_lists_all(staff_client, pim):
    assert listed(staff_client) == sorted(PAYLOADS)


def test_admin_column_shows_severity(staff_client, pim):
    response = staff_client.get(CHANGELIST)
    admin = response.context["cl"].model_admin

    severity_by_id = {error.external_id: str(admin.severity(error)) for error in response.context["cl"].result_list}

    assert severity_by_id["IMPORT-WARNING"] == "Warning"
    assert severity_by_id["IMPORT-ERROR"] == "Error"
    assert severity_by_id["NO-PAYLOAD"] == "Error"
    assert severity_by_id["NO-SEVERITY"] == "Error"


def test_admin_sorts_by_severity(staff_client, pim):
    response = staff_client.get(CHANGELIST)
    column = response.context["cl"].list_display.index("severity")

    # Descending: the warning (True) comes before every error (False).
    rows = staff_client.get(CHANGELIST, {"o": f"-{column}"}).context["cl"].result_list

    assert rows[0].external_id == "IMPORT-WARNING"
    assert [row.is_warning for row in rows] == [True, False, False, False, False, False]


def test_admin_page_shows_filter_and_column(staff_client, pim):
    html = staff_client.get(CHANGELIST).content.decode()

    assert "By severity" in html
    assert "?severity=warning" in html
    assert ">Warnings</a>" in html
    assert ">Errors</a>" in html
    assert "column-severity" in html


def test_severity_labels_in_german():
    with translation.override("de"):
        labels = {
            "title": str(SeverityFilter.title),
            "choices": [str(label) for _value, label in SeverityFilter(None, {}, SyncError, None).lookup_choices],
        }

    assert labels == {"title": "Schweregrad", "choices": ["Fehler", "Warnungen"]}


def test_admin_page_in_german(staff_client, pim):
    # The override restores the language afterwards; LocaleMiddleware would leave German active.
    with translation.override("de"):
        response = staff_client.get(CHANGELIST, {"severity": "warning"}, HTTP_ACCEPT_LANGUAGE="de")
        admin = response.context["cl"].model_admin
        labels = [str(admin.severity(error)) for error in response.context["cl"].result_list]
        html = response.content.decode()

    assert "Nach Schweregrad" in html
    assert ">Warnungen</a>" in html
    assert ">Fehler</a>" in html
    assert labels == ["Warnung"]
