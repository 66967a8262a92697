"""The outbound message page names its record as the outbox list does, hides internals and explains a withdrawal."""

import re
import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone, translation

from integrations.models import Connection, OutboundMessage, OutboundState
from tests.admin_pages import render_page
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def erp():
    return Connection.objects.create(kind="odoo", name="Odoo sandbox", slug="odoo-sandbox", base_url="https://erp.example.com")


def order_message(connection, order, state=OutboundState.PENDING):
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
        next_attempt_at=timezone.now(),
    )


def page_of(client, message, language):
    return render_page(client, reverse("admin:integrations_outboundmessage_change", args=[message.pk]), language)


def fieldsets_of(html):
    """Return {legend or summary text: html of the fieldset} for the fieldsets of a change page."""
    fieldsets = {}
    for fieldset in re.findall(r"<fieldset.*?</fieldset>", html, re.DOTALL):
        heading = re.search(r"<(?:h2|summary)[^>]*>(.*?)</(?:h2|summary)>", fieldset, re.DOTALL)
        title = re.sub(r"<[^>]+>", "", heading.group(1)).strip() if heading else ""
        fieldsets[title] = fieldset
    return fieldsets


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("en", "Order 10042 → Odoo sandbox (withdrawn)"),
        ("de", "Bestellung 10042 → Odoo sandbox (zurückgezogen)"),
    ],
)
def test_message_title_names_order(erp, language, title):
    message = order_message(erp, OrderFactory(external_number="10042"), OutboundState.WITHDRAWN)

    with translation.override(language):
        assert str(message) == title


def test_message_page_title_german(staff_client, erp):
    order = OrderFactory(external_number="10042")
    message = order_message(erp, order, OutboundState.WITHDRAWN)

    html = page_of(staff_client, message, "de")

    assert "<h2>Bestellung 10042 → Odoo sandbox (zurückgezogen)</h2>" in html
    assert "&rsaquo; Bestellung 10042 → Odoo sandbox (zurückgezogen)" in html
    assert f"Bestellungen {order.pk}" not in html
    assert "odoo-sandbox" not in html


def test_message_title_of_deleted_order(erp):
    order = OrderFactory(external_number="10042")
    message = order_message(erp, order)
    order_id = order.pk
    order.delete()
    message = OutboundMessage.objects.get(pk=message.pk)

    with translation.override("en"):
        assert str(message) == f"Order {order_id} → Odoo sandbox (pending)"


@pytest.mark.parametrize(("language", "heading"), [("en", "Technical details"), ("de", "Technische Details")])
def test_internals_in_collapsed_fieldset(staff_client, erp, language, heading):
    message = order_message(erp, OrderFactory(external_number="10042"))

    fieldsets = fieldsets_of(page_of(staff_client, message, language))

    technical = fieldsets[heading]
    main = fieldsets[""]
    assert 'class="module aligned collapse"' in technical
    for field in ("fingerprint", "idempotency_key", "claim_token", "lease_expires_at", "payload", "lane", "content_type", "object_id", "last_error"):
        assert f"field-{field}" in technical
        assert f"field-{field}" not in main
    for field in ("connection", "record_label", "state", "attempts", "error_code"):
        assert f"field-{field}" in main
    assert message.idempotency_key in technical


def test_every_field_on_page(staff_client, erp):
    message = order_message(erp, OrderFactory())

    html = page_of(staff_client, message, "en")

    for field in OutboundMessage._meta.fields:
        if field.auto_created or field.name == "next_attempt_at":
            continue
        assert f"field-{field.name}" in html
    assert "field-next_attempt_shown" in html


@pytest.mark.parametrize(
    ("language", "reason"),
    [
        (
            "en",
            "Kontor withdrew this message because Order 10042 was cancelled before Odoo sandbox received it. "
            "Any earlier attempts were turned away unprocessed. Kontor does not send it.",
        ),
        (
            "de",
            "Kontor hat diese Nachricht zurückgezogen, weil Bestellung 10042 storniert wurde, bevor Odoo "
            "sandbox sie erhalten hat. Frühere Versuche wurden abgewiesen, ohne verarbeitet zu werden. "
            "Kontor sendet sie nicht.",
        ),
    ],
)
def test_withdrawn_message_says_why(staff_client, erp, language, reason):
    message = order_message(erp, OrderFactory(external_number="10042"), OutboundState.WITHDRAWN)

    html = page_of(staff_client, message, language)

    match = re.search(r'field-withdrawn_reason">.*?<div class="readonly">([^<]*)</div>', html, re.DOTALL)
    assert match is not None
    assert match.group(1) == reason


@pytest.mark.parametrize("state", [OutboundState.PENDING, OutboundState.DELIVERED, OutboundState.SUPERSEDED])
def test_other_states_have_no_reason(staff_client, erp, state):
    message = order_message(erp, OrderFactory(), state)

    html = page_of(staff_client, message, "en")

    assert "field-withdrawn_reason" not in html
    assert "withdrew" not in html


@pytest.mark.parametrize(("language", "label"), [("en", "Orders"), ("de", "Bestellungen")])
def test_list_entity_capitalized(staff_client, erp, language, label):
    order_message(erp, OrderFactory())

    html = render_page(staff_client, reverse("admin:integrations_outboundmessage_changelist"), language)

    assert f'<td class="field-entity_label">{label}</td>' in html
