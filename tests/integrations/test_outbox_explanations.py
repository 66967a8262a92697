"""The outbound message page shows in the reader's language what went wrong and what Kontor does next."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone, translation

from integrations.models import Connection, OutboundMessage, OutboundState, SyncDirection, SyncError
from integrations.services.outbox_explanations import explain_outbound_message, http_status_of
from tests.factories import OrderFactory
from tests.integrations.test_admin_trial_polish_outbox import fieldsets_of, page_of

pytestmark = pytest.mark.django_db

ODOO_503 = "POST /json/2/sale.order/create returned HTTP 503"
# A fixed time far ahead, so the attempt is still scheduled whenever the tests run.
NEXT_ATTEMPT = datetime(2030, 3, 14, 9, 5, tzinfo=UTC)
SYNC_ERROR_GERMAN = (
    "Odoo sandbox hat die Daten als ungültig abgelehnt (HTTP 422). Korrigieren Sie den Datensatz oder seine "
    "Zuordnung in Kontor und versuchen Sie es dann erneut."
)


@pytest.fixture
def erp():
    return Connection.objects.create(kind="odoo", name="Odoo sandbox", slug="odoo-sandbox", base_url="https://erp.example.com")


def order_message(connection, *, state=OutboundState.PENDING, error_code="", last_error="", next_attempt_at=NEXT_ATTEMPT):
    order = OrderFactory(external_number="10042")
    return OutboundMessage.objects.create(
        connection=connection,
        entity="orders",
        content_type=ContentType.objects.get_for_model(order),
        object_id=str(order.pk),
        payload={"number": order.external_number},
        fingerprint="f" * 64,
        idempotency_key=uuid.uuid4().hex,
        lane="hot",
        state=state,
        attempts=3,
        next_attempt_at=next_attempt_at,
        error_code=error_code,
        last_error=last_error,
    )


def what_happened_on(html):
    """Return the label and the text of the "What happened" row of a change page, or None without one."""
    match = re.search(
        r'field-what_happened">.*?<label>([^<]*)</label>.*?<div class="readonly">([^<]*)</div>', html, re.DOTALL
    )
    return (match.group(1), match.group(2)) if match else None


def explained(message, language, now=None):
    with translation.override(language):
        return explain_outbound_message(message, now=now)


def test_pending_unavailable_german_page(staff_client, erp):
    message = order_message(erp, error_code="unavailable", last_error=ODOO_503)

    html = page_of(staff_client, message, "de")

    fieldsets = fieldsets_of(html)
    main = fieldsets[""]
    technical = fieldsets["Technische Details"]
    assert what_happened_on(main) == (
        "Was ist passiert:",
        "Odoo sandbox war nicht erreichbar (HTTP 503). Kontor versucht es am 14. März 2030 09:05 UTC automatisch erneut.",
    )
    assert ODOO_503 not in main
    assert "field-last_error" not in main
    assert "field-last_error" in technical
    assert ODOO_503 in technical


def test_explanation_beside_state(staff_client, erp):
    message = order_message(erp, error_code="unavailable", last_error=ODOO_503)

    main = fieldsets_of(page_of(staff_client, message, "en"))[""]

    rows = re.findall(r'class="form-row field-(\w+)', main)
    assert rows.index("what_happened") == rows.index("state") + 1


def test_pending_unavailable_english(erp):
    message = order_message(erp, error_code="unavailable", last_error=ODOO_503)

    assert explained(message, "en") == (
        "Odoo sandbox was not available (HTTP 503). Kontor tries again automatically on March 14, 2030, 9:05 a.m. UTC."
    )


def test_failed_message_shows_sync_error(staff_client, erp):
    message = order_message(erp, state=OutboundState.FAILED, error_code="validation_failed", last_error="POST /x returned HTTP 422")
    SyncError.objects.create(
        connection=erp,
        direction=SyncDirection.OUTBOUND,
        entity="orders",
        code="validation_failed",
        message="Odoo sandbox rejected the data as invalid (HTTP 422). Correct the record or its mapping in Kontor, then retry.",
        message_translations={
            "en": "Odoo sandbox rejected the data as invalid (HTTP 422). Correct the record or its mapping in Kontor, then retry.",
            "de": SYNC_ERROR_GERMAN,
        },
        outbound_message=message,
    )

    main = fieldsets_of(page_of(staff_client, message, "de"))[""]

    assert what_happened_on(main) == (
        "Was ist passiert:",
        SYNC_ERROR_GERMAN,
    )
    assert "POST /x returned HTTP 422" not in main


def test_failed_message_without_sync_error(erp):
    message = order_message(erp, state=OutboundState.FAILED, error_code="auth_failed", last_error="GET /x returned HTTP 401")

    assert explained(message, "de") == "Odoo sandbox hat die Zugangsdaten abgelehnt (HTTP 401). Kontor versucht es nicht erneut."


def test_unknown_code_gets_fallback(staff_client, erp):
    message = order_message(erp, error_code="odoo_tax_missing", last_error="tax 19% not found")

    main = fieldsets_of(page_of(staff_client, message, "de"))[""]

    assert what_happened_on(main) == (
        "Was ist passiert:",
        "Der letzte Versuch, diese Nachricht an Odoo sandbox zu senden, ist mit dem Fehlercode odoo_tax_missing "
        "fehlgeschlagen. Kontor versucht es am 14. März 2030 09:05 UTC automatisch erneut.",
    )


def test_circuit_open_says_kontor_paused(erp):
    message = order_message(erp, error_code="circuit_open")

    assert explained(message, "de") == (
        "Kontor hat das Senden an Odoo sandbox nach wiederholten Fehlern pausiert und diese Nachricht daher nicht "
        "gesendet. Kontor versucht es am 14. März 2030 09:05 UTC automatisch erneut."
    )


def test_status_of_other_error_left_out(erp):
    # Kontor's own rate limit deferred the message unsent, so last_error is the 503 of an earlier
    # attempt and does not belong to this one.
    message = order_message(erp, error_code="rate_limited", last_error=ODOO_503)

    assert explained(message, "en") == (
        "Requests to Odoo sandbox reached the rate limit. Kontor tries again automatically on March 14, 2030, 9:05 a.m. UTC."
    )


def test_status_left_out_when_unknown(erp):
    message = order_message(erp, error_code="server_error", last_error="POST /x failed before a response (reset)")

    assert explained(message, "de") == (
        "Odoo sandbox hatte einen internen Fehler. Kontor versucht es am 14. März 2030 09:05 UTC automatisch erneut."
    )


def test_due_attempt_says_shortly(erp):
    due_at = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    message = order_message(erp, error_code="timeout", next_attempt_at=due_at)

    assert explained(message, "de", now=due_at + timedelta(seconds=30)) == (
        "Odoo sandbox hat nicht rechtzeitig geantwortet. Kontor versucht es in Kürze erneut (fällig seit 2. Januar 2026 03:04 UTC)."
    )


def test_disabled_connection_no_retry_time(erp):
    erp.enabled = False
    erp.save(update_fields=["enabled"])
    message = order_message(erp, error_code="connection_failed")

    assert explained(message, "de") == (
        "Kontor konnte keine Verbindung zu Odoo sandbox herstellen. Kontor versucht es nicht erneut, solange die "
        "Verbindung Odoo sandbox nicht aktiv ist."
    )


@pytest.mark.parametrize(
    ("state", "error_code"),
    [
        (OutboundState.PENDING, ""),
        (OutboundState.DELIVERED, ""),
        (OutboundState.IN_FLIGHT, "unavailable"),
        (OutboundState.WITHDRAWN, ""),
    ],
)
def test_no_explanation_without_failure(staff_client, erp, state, error_code):
    message = order_message(erp, state=state, error_code=error_code)

    html = page_of(staff_client, message, "en")

    assert "field-what_happened" not in html
    assert explain_outbound_message(message, now=timezone.now()) is None


@pytest.mark.parametrize(
    ("text", "status"),
    [
        (ODOO_503, 503),
        ("POST /api/order returned HTTP 422 for fields ['email']", 422),
        ("GET /x timed out (read timeout=30)", None),
        ("", None),
    ],
)
def test_http_status_of(text, status):
    assert http_status_of(text) == status
