"""Admin pages rendered in German show German texts, not English labels or raw codes."""

from datetime import UTC, datetime

import pytest
import responses
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone, translation

from apiclients.services import create_client
from integrations.models import (
    Conflict,
    Connection,
    ConnectionEntity,
    DeltaCursor,
    InboundEvent,
    LeadingSystemRule,
    OutboundMessage,
    SyncError,
    SyncRun,
)
from integrations.services.connections import check_connection
from tests.admin_pages import admin_page as get_german
from tests.factories import ChannelFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_de(client):
    client.force_login(get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-admin-1"))
    return client


# Outbound messages


def outbound_message():
    connection = Connection.objects.create(kind="shopware", name="Shop DE", slug="shop-de", base_url="https://shop.example.com")
    product = ProductFactory()
    return OutboundMessage.objects.create(
        connection=connection,
        entity="products",
        content_type=ContentType.objects.get_for_model(product),
        object_id=str(product.pk),
        payload={"sku": product.sku},
        fingerprint="0" * 64,
        idempotency_key="outbound-1",
        lane="hot",
        next_attempt_at=timezone.now(),
    )


def test_outbound_message_page_german_label(admin_client_de):
    message = outbound_message()
    label = f"Artikel {message.payload['sku']} → Shop DE (ausstehend)"

    html = get_german(admin_client_de, reverse("admin:integrations_outboundmessage_change", args=[message.pk]))

    assert f"&rsaquo; {label}" in html
    assert f"<title>{label} | Ausgehende Nachricht ansehen" in html
    assert f"products {message.object_id} → shop-de (pending)" not in html


def test_outbound_message_list_german_label(admin_client_de):
    message = outbound_message()

    html = get_german(admin_client_de, reverse("admin:integrations_outboundmessage_changelist"))

    # The list has no row checkboxes, whose labels would show the message's str, because it
    # offers no action. So the row's cells are checked.
    assert f'<td class="field-record_label">Artikel {message.payload["sku"]}</td>' in html
    assert '<td class="field-state">ausstehend</td>' in html
    assert "(pending)" not in html


def test_outbound_message_list_german_lane_filter(admin_client_de):
    outbound_message()

    html = get_german(admin_client_de, reverse("admin:integrations_outboundmessage_changelist"))

    assert '<a href="?lane__exact=hot">Bewegungsdaten</a>' in html
    assert '<a href="?lane__exact=master">Stammdaten</a>' in html


# Titles of framework records: domains, directions and lanes by their labels, not their codes


def test_framework_record_titles_in_german():
    connection = Connection.objects.create(kind="shopware", name="Shop DE", slug="shop-de", base_url="https://shop.example.com")
    order = OrderFactory()
    entity = ConnectionEntity.objects.create(connection=connection, entity="orders")
    event = InboundEvent.objects.create(
        connection=connection, entity="orders", external_id="o-1", dedup_key="order.placed:o-1",
        source="webhook", payload={}, received_at=timezone.now(),
    )
    rule = LeadingSystemRule.objects.create(domain="orders", field_group="status", connection=connection)
    conflict = Conflict.objects.create(
        connection=connection, content_type=ContentType.objects.get_for_model(order), object_id=str(order.pk),
        domain="orders", field_group="status", field="status", current_value="new", incoming_value="cancelled",
    )
    run = SyncRun.objects.create(kind="pull", connection=connection, entity="stock", started_at=datetime(2026, 12, 5, 6, 30, tzinfo=UTC))
    error = SyncError.objects.create(connection=connection, direction="outbound", entity="stock", external_id="SKU-1", code="rejected", message="x")
    cursor = DeltaCursor.objects.create(connection=connection, entity="orders")

    with translation.override("de"):
        titles = [str(record) for record in (entity, event, rule, conflict, run, error, cursor)]

    assert titles == [
        "Shop DE / Bestellungen",
        "Bestellungen o-1 ← Shop DE (ausstehend)",
        "Bestellungen / Status ← Shop DE",
        f"Status von Bestellung {order.external_number} ({order.channel.name}) aus Shop DE",
        "Delta-Abruf Shop DE Bestand 5. Dezember 2026 06:30 UTC",
        "Shop DE ausgehend Bestand SKU-1: rejected",
        "shop-de Bestellungen @ None",
    ]


def test_shop_order_event_title_names_order_number():
    connection = Connection.objects.create(kind="shopware", name="Shop DE", slug="shop-de", base_url="https://shop.example.com")
    event = InboundEvent.objects.create(
        connection=connection, entity="orders", external_id="0190ab", dedup_key="order.placed:0190ab:1",
        source="webhook", payload={"orderNumber": "10042"}, received_at=timezone.now(), state="failed",
    )

    with translation.override("de"):
        assert str(event) == "Bestellung 10042 ← Shop DE (fehlgeschlagen)"
    with translation.override("en"):
        assert str(event) == "Order 10042 ← Shop DE (failed)"


def test_sync_error_page_title_in_german(admin_client_de):
    connection = Connection.objects.create(kind="shopware", name="Shop DE", slug="shop-de", base_url="https://shop.example.com")
    error = SyncError.objects.create(connection=connection, direction="inbound", entity="orders", external_id="o-7", code="unknown_sku", message="x")

    html = get_german(admin_client_de, reverse("admin:integrations_syncerror_change", args=[error.pk]))

    assert "&rsaquo; Shop DE eingehend Bestellungen o-7: unknown_sku" in html
    assert "inbound orders" not in html


# API clients


def test_api_client_list_german_scope_labels(admin_client_de):
    create_client(name="Storefront", channel=ChannelFactory(), scopes=["catalog:read", "orders:write"], actor="test")

    html = get_german(admin_client_de, reverse("admin:apiclients_apiclient_changelist"))

    assert '<td class="field-scope_list">Katalog lesen, Bestellungen aufgeben</td>' in html
    assert "catalog:read" not in html
    assert "orders:write" not in html


def test_api_client_list_unknown_scope_code(admin_client_de):
    create_client(name="Legacy app", channel=ChannelFactory(), scopes=["catalog:read", "stock:read"], actor="test")

    html = get_german(admin_client_de, reverse("admin:apiclients_apiclient_changelist"))

    assert '<td class="field-scope_list">Katalog lesen, stock:read</td>' in html


# Connection test


def stripe_connection():
    connection = Connection(kind="stripe", name="Stripe DE", slug="stripe-de", base_url="https://api.stripe.com")
    connection.set_credentials({"api_key": "sk_test_4eC39HqLyjWDarjtT1zdp7dc", "webhook_secrets": "whsec_test"})
    connection.save()
    return connection


@responses.activate
def test_test_connection_action_success_german(admin_client_de):
    connection = stripe_connection()
    # Stripe's balance object, shortened to the fields of its contract that matter here.
    responses.get(
        "https://api.stripe.com/v1/balance",
        json={"object": "balance", "available": [{"amount": 0, "currency": "eur"}], "livemode": False, "pending": []},
    )

    with translation.override("de"):
        response = admin_client_de.post(
            reverse("admin:integrations_connection_changelist"),
            {"action": "test_connection", "_selected_action": [connection.pk]},
            HTTP_ACCEPT_LANGUAGE="de",
            follow=True,
        )

    html = response.content.decode()
    assert "Stripe DE: Die Verbindung funktioniert." in html
    assert "Stripe DE: ok" not in html


def test_connection_test_unknown_kind_german():
    connection = Connection.objects.create(kind="otto", name="Otto Markt", slug="otto")

    with translation.override("de"):
        result = check_connection(connection)

    assert result == (
        False,
        "Kontor hat keinen Connector der Art otto, daher lässt sich Otto Markt nicht testen. "
        "Bitten Sie Ihre Administration, den Connector zu installieren, oder korrigieren Sie die Art.",
    )


def test_connection_test_unreadable_credentials_german():
    connection = Connection.objects.create(kind="stripe", name="Stripe DE", slug="stripe-de", credentials_encrypted="not-a-fernet-token")

    with translation.override("de"):
        result = check_connection(connection)

    assert result == (
        False,
        "Die gespeicherten Zugangsdaten von Stripe DE lassen sich mit dem aktuellen CREDENTIALS_KEY nicht "
        "entschlüsseln. Stellen Sie den vorherigen Schlüssel wieder her oder geben Sie die Zugangsdaten erneut ein.",
    )


def health_check_not_implemented(self, connection):
    raise NotImplementedError(f"{self.kind} does not implement health_check")


def test_connection_test_without_health_check_german(monkeypatch):
    connection = stripe_connection()
    # Every registered connector has a health check, so one is taken away to reach this branch.
    monkeypatch.setattr(type(connection.connector), "health_check", health_check_not_implemented)

    with translation.override("de"):
        result = check_connection(connection)

    assert result == (False, "Der Connector Stripe hat keinen Verbindungstest.")


# Adding a connection


def test_add_connection_shows_credential_errors(admin_client_de):
    data = {
        "kind": "shopware", "name": "Shop DE", "slug": "shop-de", "base_url": "https://shop.example.com",
        "enabled": "on", "time_zone": "Europe/Berlin", "rate_limit_per_second": "5", "rate_limit_burst": "10",
        "entities-TOTAL_FORMS": "0", "entities-INITIAL_FORMS": "0", "entities-MIN_NUM_FORMS": "0", "entities-MAX_NUM_FORMS": "1000",
    }

    with translation.override("de"):
        response = admin_client_de.post(reverse("admin:integrations_connection_add"), data, HTTP_ACCEPT_LANGUAGE="de")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="credential_access_key_id"' in html
    assert 'id="id_credential_access_key_id_error"' in html
    assert "Dieses Feld ist zwingend erforderlich." in html
    assert not Connection.objects.filter(slug="shop-de").exists()


def add_connection_data(kind, base_url, **credentials):
    return {
        "kind": kind, "name": "System DE", "slug": "system-de", "base_url": base_url,
        "enabled": "on", "time_zone": "Europe/Berlin", "rate_limit_per_second": "5", "rate_limit_burst": "10",
        "entities-TOTAL_FORMS": "0", "entities-INITIAL_FORMS": "0", "entities-MIN_NUM_FORMS": "0", "entities-MAX_NUM_FORMS": "1000",
        **{f"credential_{name}": value for name, value in credentials.items()},
    }


SHOPWARE_CREDENTIALS = {"access_key_id": "SWIA-KEY", "secret_access_key": "secret-value", "shop_secret": "shop-secret-value"}


def test_add_shop_without_base_url_refused(admin_client_de):
    data = add_connection_data("shopware", "", **SHOPWARE_CREDENTIALS)

    with translation.override("de"):
        response = admin_client_de.post(reverse("admin:integrations_connection_add"), data, HTTP_ACCEPT_LANGUAGE="de")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Eine Shopware 6-Verbindung braucht die Adresse ihrer API. Geben Sie die Basis-URL ein, beginnend mit https://." in html
    assert not Connection.objects.filter(slug="system-de").exists()


def test_add_payment_without_base_url_saved(admin_client_de):
    data = add_connection_data("stripe", "", api_key="sk_test_4eC39HqLyjWDarjtT1zdp7dc", webhook_secrets="whsec_test")

    with translation.override("de"):
        response = admin_client_de.post(reverse("admin:integrations_connection_add"), data, HTTP_ACCEPT_LANGUAGE="de")

    assert response.status_code == 302
    assert Connection.objects.get(slug="system-de").base_url == ""


def test_run_list_shows_open_errors_of_successful_run(admin_client_de):
    connection = Connection.objects.create(kind="akeneo", name="Akeneo CSV", slug="akeneo-csv")
    run = SyncRun.objects.create(
        kind="pull", connection=connection, entity="products", state="succeeded", read_count=3, created_count=3, started_at=timezone.now(),
    )
    for number in range(2):
        SyncError.objects.create(connection=connection, direction="inbound", entity="products", external_id=f"SKU-{number}", code="gtin_invalid", message="x", sync_run=run)
    SyncError.objects.create(connection=connection, direction="inbound", entity="products", external_id="SKU-9", code="gtin_invalid", message="x", sync_run=run, resolved=True)

    html = get_german(admin_client_de, reverse("admin:integrations_syncrun_changelist"))

    assert "Offene Synchronisationsfehler" in html
    link = f'href="/admin/integrations/syncerror/?sync_run__id__exact={run.pk}&amp;resolved__exact=0">2</a>'
    assert link in html
