"""Admin form labels and page titles start upper-case in English and German, and the German
admin names sync runs with one term."""

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from integrations.models import Connection, InboundEvent, OutboundMessage
from tests.admin_pages import render_page
from tests.factories import ProductFactory

# admin_client is pytest-django's client logged in as a superuser.
pytestmark = pytest.mark.django_db


def labels_of(html):
    return [text.strip() for text in re.findall(r"<label[^>]*>([^<]*)</label>", html) if text.strip()]


def h1_of(html):
    return re.search(r"<h1>(.*?)</h1>", html, re.S).group(1).strip()


def shop_connection():
    return Connection.objects.create(kind="shopware", name="Shop DE", slug="shop-de", base_url="https://shop.example.com")


FORM_LABELS = [
    ("admin:integrations_connection_add", "en", ["Kind:", "Base URL:"]),
    ("admin:integrations_connection_add", "de", ["Art:", "Basis-URL:"]),
    ("admin:catalog_channel_add", "en", ["Currencies:", "Locales:"]),
    ("admin:catalog_channel_add", "de", ["Währungen:", "Gebietsschemata:"]),
    ("admin:apiclients_apiclient_add", "en", ["Scopes:"]),
    ("admin:apiclients_apiclient_add", "de", ["Berechtigungen:"]),
    ("admin:sandbox_sandboxfaults_add", "en", ["System:"]),
    ("admin:sandbox_sandboxfaults_add", "de", ["System:"]),
    ("admin:integrations_attributemapping_import", "en", ["Connection:"]),
    ("admin:integrations_attributemapping_import", "de", ["Verbindung:"]),
]


@pytest.mark.parametrize(("url_name", "language", "expected"), FORM_LABELS)
def test_form_labels_start_upper_case(admin_client, url_name, language, expected):
    labels = labels_of(render_page(admin_client, reverse(url_name), language))

    for label in expected:
        assert label in labels


@pytest.mark.parametrize("url_name", sorted({url_name for url_name, _language, _labels in FORM_LABELS}))
def test_no_form_label_starts_lower_case(admin_client, url_name):
    for language in ("en", "de"):
        labels = labels_of(render_page(admin_client, reverse(url_name), language))

        assert [label for label in labels if label[0].islower()] == []


def outbound_message():
    product = ProductFactory()
    return OutboundMessage.objects.create(
        connection=shop_connection(), entity="products", content_type=ContentType.objects.get_for_model(product),
        object_id=str(product.pk), payload={"sku": product.sku}, fingerprint="0" * 64, idempotency_key="outbound-1",
        lane="hot", next_attempt_at=timezone.now(),
    )


def test_outbound_list_title_german(admin_client):
    html = render_page(admin_client, reverse("admin:integrations_outboundmessage_changelist"), "de")

    assert h1_of(html) == "Ausgehende Nachricht zum Ansehen auswählen"
    assert "<title>Ausgehende Nachricht zum Ansehen auswählen | " in html


def test_outbound_page_title_german(admin_client):
    message = outbound_message()

    html = render_page(admin_client, reverse("admin:integrations_outboundmessage_change", args=[message.pk]), "de")

    assert h1_of(html) == "Ausgehende Nachricht ansehen"


def test_inbound_list_title_german(admin_client):
    InboundEvent.objects.create(
        connection=shop_connection(), entity="orders", external_id="o-1", dedup_key="order.placed:o-1",
        source="webhook", payload={}, received_at=timezone.now(),
    )

    html = render_page(admin_client, reverse("admin:integrations_inboundevent_changelist"), "de")

    assert h1_of(html) == "Eingehendes Ereignis zum Ansehen auswählen"


def test_outbound_list_title_english(admin_client):
    html = render_page(admin_client, reverse("admin:integrations_outboundmessage_changelist"), "en")

    assert h1_of(html) == "Select outbound message to view"


def test_dashboard_names_sync_runs_in_german(admin_client):
    shop_connection()

    html = render_page(admin_client, reverse("admin:monitoring_dashboard_changelist"), "de")

    assert ">Synchronisationsläufe</a>" in html
    assert "Sync-Läufe" not in html
