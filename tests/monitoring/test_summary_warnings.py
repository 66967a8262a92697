"""The daily summary lists import warnings apart: they neither failed nor need a person. Its times read in the summary's language."""

from datetime import timedelta

import pytest
from django.core import mail

from integrations.models import SyncDirection
from monitoring.models import ChannelKind, NotificationChannel
from monitoring.services.summary import build_summary, send_daily_summary
from tests.monitoring.conftest import NOW, make_connection, sync_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def support_channel():
    return NotificationChannel.objects.create(name="Support", kind=ChannelKind.EMAIL, recipients="support@example.com", daily_summary=True)


def import_warning(connection, sku, *, code="akeneo_missing_name", created_at=NOW - timedelta(hours=1)):
    """Record an open Akeneo import warning like the importer stores it: severity in the payload."""
    return sync_error(
        connection, created_at=created_at, code=code, message="The product has no name.", direction=SyncDirection.INBOUND,
        external_id=sku, payload={"entity": "products", "line": 3, "severity": "warning"},
    )


@pytest.fixture
def pim():
    """Return an Akeneo connection with 80 import warnings and one rejected record, all open."""
    connection = make_connection("pim", name="PIM", kind="akeneo")
    for number in range(78):
        import_warning(connection, f"SKU-{number}")
    import_warning(connection, "SKU-ATTR-1", code="akeneo_unknown_attribute")
    import_warning(connection, "SKU-ATTR-2", code="akeneo_unknown_attribute")
    sync_error(
        connection, created_at=NOW - timedelta(hours=2), code="akeneo_invalid_price", message="The price is not a number.",
        direction=SyncDirection.INBOUND, external_id="SKU-BAD", payload={"line": 9, "severity": "error"},
    )
    return connection


def summary_of(slug):
    return next(summary for summary in build_summary(NOW) if summary.connection.slug == slug)


def test_warnings_do_not_need_person(pim):
    summary = summary_of("pim")

    assert summary.needs_person == 1
    assert [error.external_id for error in summary.needs_person_examples] == ["SKU-BAD"]


def test_warnings_not_counted_failed(pim):
    summary = summary_of("pim")

    assert summary.failed == [("akeneo_invalid_price", 1)]
    assert summary.failed_total == 1


def test_warnings_counted_by_code(pim):
    summary = summary_of("pim")

    assert summary.warnings == [("akeneo_missing_name", 78), ("akeneo_unknown_attribute", 2)]
    assert summary.warnings_total == 80


def test_old_warnings_not_counted(pim):
    import_warning(pim, "SKU-OLD", created_at=NOW - timedelta(days=2))

    assert summary_of("pim").warnings_total == 80


def test_only_warnings_not_quiet():
    pim = make_connection("pim", kind="akeneo")
    import_warning(pim, "SKU-1")

    summary = summary_of("pim")

    assert summary.is_quiet is False
    assert summary.needs_person == 0
    assert summary.failed_total == 0


def test_email_lists_warnings_apart(pim, support_channel):
    send_daily_summary(NOW)

    email = mail.outbox[0]
    assert email.subject == "[Kontor] Daily summary: 1 failed, 1 need a person"
    assert "Failed: 1\n  - akeneo_invalid_price: 1\n" in email.body
    assert (
        "Import warnings (no action needed): 80\n  - akeneo_missing_name: 78\n  - akeneo_unknown_attribute: 2\nRetried:"
        in email.body
    )
    assert "Needs a person: 1\n  - Dec. 2, 2026, 7 a.m. UTC products SKU-BAD: The price is not a number.\n" in email.body
    assert "SKU-1:" not in email.body


def test_email_without_warnings_has_no_line(support_channel):
    sync_error(make_connection("shop"), created_at=NOW - timedelta(hours=1))

    send_daily_summary(NOW)

    assert "Import warnings" not in mail.outbox[0].body


def test_email_in_german(settings, pim, support_channel):
    settings.LANGUAGE_CODE = "de"
    bad = pim.sync_errors.get(external_id="SKU-BAD")
    bad.message_translations = {"de": "Der Preis ist keine Zahl."}
    bad.save(update_fields=["message_translations"])

    send_daily_summary(NOW)

    body = mail.outbox[0].body
    assert "Kontor-Synchronisationsbericht von 1. Dezember 2026 09:00 UTC bis 2. Dezember 2026 09:00 UTC." in body
    assert "Importwarnungen (kein Handlungsbedarf): 80\n" in body
    assert "Braucht einen Menschen: 1\n  - 2. Dezember 2026 07:00 UTC products SKU-BAD: Der Preis ist keine Zahl.\n" in body


def test_email_has_no_iso_times(pim, support_channel):
    send_daily_summary(NOW)

    body = mail.outbox[0].body
    assert "2026-12-01" not in body
    assert "2026-12-02" not in body
