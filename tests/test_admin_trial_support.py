"""Admin pages a German-speaking merchant and support person use: inputs, labels and values."""

import re
from datetime import UTC, datetime

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone, translation

from customers.models import Customer
from integrations.admin.leading import ConflictAdmin
from integrations.models import (
    Conflict,
    Connection,
    InboundEvent,
    LeadingSystemRule,
    OutboundMessage,
    OutboundState,
    SyncError,
    SyncRun,
)
from monitoring.models import LaneHeartbeat, NotificationChannel
from tests.admin_pages import admin_page as get_german
from tests.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db

SHOPWARE_SECRETS = {"secret_access_key": "sw-secret-0123456789", "shop_secret": "sw-shop-secret-9876"}


@pytest.fixture
def admin_client_de(client):
    client.force_login(get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-admin-1"))
    return client


def post_german(client, url, data):
    with translation.override("de"):
        return client.post(url, data, HTTP_ACCEPT_LANGUAGE="de")


def form_errors(response, field):
    # The messages are lazy, so they are rendered in German here.
    with translation.override("de"):
        return [str(error) for error in response.context["adminform"].form.errors.get(field, [])]


def shopware_form(**changes):
    data = {
        "kind": "shopware", "name": "Shop DE", "slug": "shop-de", "base_url": "https://shop.example.com",
        "enabled": "on", "time_zone": "Europe/Berlin", "rate_limit_per_second": "5", "rate_limit_burst": "10",
        "credential_access_key_id": "SWIA-KEY-1", "credential_secret_access_key": "sw-secret-0123456789",
        "credential_shop_secret": "sw-shop-secret-9876",
        "entities-TOTAL_FORMS": "0", "entities-INITIAL_FORMS": "0", "entities-MIN_NUM_FORMS": "0", "entities-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def shopware_connection(**settings):
    connection = Connection(kind="shopware", name="Shop DE", slug="shop-de", base_url="https://shop.example.com")
    connection.set_credentials({"access_key_id": "SWIA-KEY-1", **SHOPWARE_SECRETS, **settings})
    connection.save()
    return connection


# Base URL of a new connection


def test_base_url_other_scheme_rejected(admin_client_de):
    response = post_german(admin_client_de, reverse("admin:integrations_connection_add"), shopware_form(base_url="ftp://shop.example.com"))

    assert response.status_code == 200
    assert form_errors(response, "base_url") == [
        "Die Basis-URL ftp://shop.example.com beginnt mit ftp://. Kontor ruft APIs über HTTP auf, geben Sie also "
        "eine Adresse ein, die mit https:// beginnt, oder mit http:// für einen Server im eigenen Netz."
    ]
    assert not Connection.objects.filter(slug="shop-de").exists()


def test_base_url_invalid_names_value(admin_client_de):
    response = post_german(admin_client_de, reverse("admin:integrations_connection_add"), shopware_form(base_url="shop example"))

    assert form_errors(response, "base_url") == [
        "https://shop example ist keine gültige URL. Geben Sie die Adresse der API ein, etwa https://shop.example.com."
    ]


def test_base_url_unsplittable_names_value(admin_client_de):
    response = post_german(admin_client_de, reverse("admin:integrations_connection_add"), shopware_form(base_url="https://[::1"))

    assert form_errors(response, "base_url") == [
        "https://[::1 ist keine gültige URL. Geben Sie die Adresse der API ein, etwa https://shop.example.com."
    ]


def test_base_url_with_password_rejected(admin_client_de):
    url = "https://kontor:hunter22@shop.example.com/api"

    response = post_german(admin_client_de, reverse("admin:integrations_connection_add"), shopware_form(base_url=url))

    assert form_errors(response, "base_url") == [
        "Entfernen Sie Benutzername und Passwort aus der Basis-URL https://shop.example.com/api und geben Sie sie "
        "unter Zugangsdaten ein, wo Kontor sie verschlüsselt speichert."
    ]
    assert "hunter22" not in "".join(form_errors(response, "base_url"))
    assert not Connection.objects.filter(slug="shop-de").exists()


def test_base_url_with_query_rejected(admin_client_de):
    url = "https://shop.example.com/api?token=abc123"

    response = post_german(admin_client_de, reverse("admin:integrations_connection_add"), shopware_form(base_url=url))

    assert form_errors(response, "base_url") == [
        "Entfernen Sie den Teil ab ? oder # aus der Basis-URL https://shop.example.com/api. Kontor hängt die "
        "API-Pfade an die Basis-URL an, und Tokens gehören unter Zugangsdaten."
    ]
    assert not Connection.objects.filter(slug="shop-de").exists()


def test_base_url_plain_https_accepted(admin_client_de):
    response = post_german(admin_client_de, reverse("admin:integrations_connection_add"), shopware_form(base_url="http://10.0.0.5:8000/shop"))

    assert response.status_code == 302
    assert Connection.objects.get(slug="shop-de").base_url == "http://10.0.0.5:8000/shop"


# Credential inputs of a stored connection


def test_setting_cleared_when_emptied(admin_client_de):
    connection = shopware_connection(price_list="b2b", tax_rate="7")

    response = post_german(
        admin_client_de,
        reverse("admin:integrations_connection_change", args=[connection.pk]),
        shopware_form(credential_secret_access_key="", credential_shop_secret="", credential_price_list="", credential_tax_rate="7"),
    )

    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.credentials == {"access_key_id": "SWIA-KEY-1", "tax_rate": "7", **SHOPWARE_SECRETS}


def test_keep_hint_only_for_secrets(admin_client_de):
    connection = shopware_connection(price_list="b2b")

    html = get_german(admin_client_de, reverse("admin:integrations_connection_change", args=[connection.pk]))

    assert 'id="id_credential_secret_access_key_helptext"' in html
    assert 'id="id_credential_price_list_helptext"' not in html
    assert 'id="id_credential_access_key_id_helptext"' not in html
    assert 'name="credential_price_list" value="b2b"' in html
    assert SHOPWARE_SECRETS["secret_access_key"] not in html


def test_credential_labels_start_capitalised(admin_client_de):
    html = get_german(admin_client_de, reverse("admin:integrations_connection_add") + "?kind=shopware")

    assert '<label class="required" for="id_credential_secret_access_key">Geheimer Zugriffsschlüssel:</label>' in html
    assert '<label for="id_credential_previous_shop_secret">Vorheriges Shop-Secret, während des Wechsels:</label>' in html


# Connection list


def test_connection_list_names_connector(admin_client_de):
    shopware_connection()
    Connection.objects.create(kind="otto", name="Otto Markt", slug="otto")

    html = get_german(admin_client_de, reverse("admin:integrations_connection_changelist"))

    assert '<td class="field-kind_name">Shopware 6</td>' in html
    # A kind without an installed connector keeps its code.
    assert '<td class="field-kind_name">otto</td>' in html
    assert '<a href="?kind__exact=shopware">Shopware 6</a>' in html


def test_connection_list_kind_filter(admin_client_de):
    shopware_connection()
    Connection.objects.create(kind="odoo", name="ERP", slug="erp")

    html = get_german(admin_client_de, reverse("admin:integrations_connection_changelist") + "?kind__exact=odoo")

    assert ">ERP</a>" in html
    assert ">Shop DE</a>" not in html


# Conflicts


def order_conflict():
    connection = shopware_connection()
    order = OrderFactory()
    event = InboundEvent.objects.create(
        connection=connection, entity="orders", external_id="o-1", dedup_key="order.cancelled:o-1",
        source="webhook", payload={}, received_at=timezone.now(),
    )
    conflict = Conflict.objects.create(
        connection=connection, content_type=ContentType.objects.get_for_model(order), object_id=str(order.pk),
        domain="orders", field_group="status", field="status", current_value="new", incoming_value="cancelled",
        inbound_event=event,
    )
    return conflict, order


def test_conflict_list_shows_labels(admin_client_de):
    conflict, order = order_conflict()

    html = get_german(admin_client_de, reverse("admin:integrations_conflict_changelist"))

    order_url = reverse("admin:orders_order_change", args=[order.pk])
    label = f"Bestellung {order.external_number} ({order.channel.name})"
    assert f'<td class="field-record_link"><a href="{order_url}">{label}</a></td>' in html
    assert '<td class="field-field_name">Status</td>' in html
    assert '<td class="field-current_value_shown">neu</td>' in html
    assert '<td class="field-incoming_value_shown">storniert</td>' in html
    assert "&quot;cancelled&quot;" not in html


def test_conflict_page_read_only(admin_client_de):
    conflict, order = order_conflict()

    html = get_german(admin_client_de, reverse("admin:integrations_conflict_change", args=[conflict.pk]))

    # No select of every inbound event, content type or connection; only "resolved" is an input.
    assert 'name="inbound_event"' not in html
    assert 'name="content_type"' not in html
    assert 'name="connection"' not in html
    assert 'name="resolved"' in html
    assert f"Bestellung {order.external_number} ({order.channel.name})" in html


def test_conflict_page_marks_resolved(admin_client_de):
    conflict, _order = order_conflict()
    other = Connection.objects.create(kind="odoo", name="ERP", slug="erp")

    response = post_german(
        admin_client_de,
        reverse("admin:integrations_conflict_change", args=[conflict.pk]),
        {"resolved": "on", "connection": other.pk, "field": "email"},
    )

    assert response.status_code == 302
    conflict.refresh_from_db()
    assert conflict.resolved is True
    assert conflict.connection.slug == "shop-de"
    assert conflict.field == "status"


def test_conflict_value_outside_choices():
    conflict, _order = order_conflict()
    conflict.field = "email"
    conflict.current_value = None
    conflict.incoming_value = {"email": "a@example.com"}

    admin_view = ConflictAdmin(Conflict, admin.site)
    with translation.override("de"):
        field_name = str(admin_view.field_name(conflict))
        current = admin_view.current_value_shown(conflict)
        incoming = admin_view.incoming_value_shown(conflict)

    assert field_name == "E-Mail"
    assert current == "-"
    assert incoming == '{"email": "a@example.com"}'


def test_conflict_field_not_on_model():
    conflict, _order = order_conflict()
    conflict.field = "translated_name"
    conflict.incoming_value = "Jacke"

    admin_view = ConflictAdmin(Conflict, admin.site)

    assert admin_view.field_name(conflict) == "translated_name"
    assert admin_view.incoming_value_shown(conflict) == "Jacke"


# Inbound events


def test_inbound_event_outcome_german(admin_client_de):
    connection = shopware_connection()
    event = InboundEvent.objects.create(
        connection=connection, entity="stock", external_id="293@1", dedup_key="stock:293@1",
        source="poll", payload={}, received_at=timezone.now(), state="processed", outcome="skipped",
    )
    InboundEvent.objects.create(
        connection=connection, entity="stock", external_id="294@1", dedup_key="stock:294@1",
        source="poll", payload={}, received_at=timezone.now(), state="ignored", outcome="stale",
    )

    listing = get_german(admin_client_de, reverse("admin:integrations_inboundevent_changelist"))
    detail = get_german(admin_client_de, reverse("admin:integrations_inboundevent_change", args=[event.pk]))

    assert '<td class="field-outcome_label">übersprungen</td>' in listing
    assert '<td class="field-outcome_label">veraltet</td>' in listing
    assert '<div class="readonly">übersprungen</div>' in detail
    assert ">skipped<" not in listing + detail


# Retrying one sync error from its detail page


def failed_product_message(connection):
    product = ProductFactory()
    message = OutboundMessage.objects.create(
        connection=connection, entity="products", content_type=ContentType.objects.get_for_model(product),
        object_id=str(product.pk), payload={"sku": product.sku}, fingerprint="0" * 64,
        idempotency_key="outbound-retry-1", lane="master", state=OutboundState.FAILED, attempts=3,
        next_attempt_at=timezone.now(),
    )
    return SyncError.objects.create(
        connection=connection, direction="outbound", entity="products", code="price_missing",
        message="No price", outbound_message=message,
    )


def test_sync_error_page_retry_button(admin_client_de):
    sync_error = failed_product_message(shopware_connection())
    retry_url = reverse("admin:integrations_syncerror_retry_one", args=[sync_error.pk])

    html = get_german(admin_client_de, reverse("admin:integrations_syncerror_change", args=[sync_error.pk]))

    assert f'<form method="post" action="{retry_url}">' in html
    assert '<button type="submit" class="button">Erneut versuchen</button>' in html


def test_resolved_sync_error_without_button(admin_client_de):
    sync_error = failed_product_message(shopware_connection())
    SyncError.objects.filter(pk=sync_error.pk).update(resolved=True)

    html = get_german(admin_client_de, reverse("admin:integrations_syncerror_change", args=[sync_error.pk]))

    assert reverse("admin:integrations_syncerror_retry_one", args=[sync_error.pk]) not in html


def test_sync_error_page_retry_queues(admin_client_de, monkeypatch, django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr("integrations.services.queue.async_task", lambda func, *args, cluster: queued.append((func, args, cluster)))
    sync_error = failed_product_message(shopware_connection())

    with django_capture_on_commit_callbacks(execute=True):
        response = post_german(admin_client_de, reverse("admin:integrations_syncerror_retry_one", args=[sync_error.pk]), {})

    assert response.status_code == 302
    assert response.url == reverse("admin:integrations_syncerror_change", args=[sync_error.pk])
    assert queued == [("integrations.tasks.deliver_outbound_message", (sync_error.outbound_message_id,), "master")]
    message = OutboundMessage.objects.get(pk=sync_error.outbound_message_id)
    assert message.state == OutboundState.PENDING
    assert message.attempts == 0
    page = get_german(admin_client_de, response.url)
    assert "1 Eintrag zum erneuten Versuch eingereiht." in page


def test_sync_error_page_retry_without_item(admin_client_de):
    sync_error = SyncError.objects.create(
        connection=shopware_connection(), direction="inbound", entity="products", code="akeneo_invalid_gtin_checksum", message="GTIN",
    )

    response = post_german(admin_client_de, reverse("admin:integrations_syncerror_retry_one", args=[sync_error.pk]), {})
    page = get_german(admin_client_de, response.url)

    assert "1 Synchronisationsfehler wurde übersprungen" in page
    assert SyncError.objects.get(pk=sync_error.pk).next_retry_at is None


def test_sync_error_retry_rejects_get(admin_client_de):
    sync_error = failed_product_message(shopware_connection())

    response = admin_client_de.get(reverse("admin:integrations_syncerror_retry_one", args=[sync_error.pk]))

    assert response.status_code == 405
    assert OutboundMessage.objects.get(pk=sync_error.outbound_message_id).state == OutboundState.FAILED


def test_outbound_next_attempt_only_when_due(admin_client_de):
    sync_error = failed_product_message(shopware_connection())
    failed = sync_error.outbound_message
    pending = OutboundMessage.objects.create(
        connection=failed.connection, entity="stock", content_type=failed.content_type, object_id=failed.object_id,
        payload={}, fingerprint="1" * 64, idempotency_key="outbound-pending-1", lane="hot",
        next_attempt_at=datetime(2026, 12, 5, 7, 30, tzinfo=UTC),
    )

    listing = get_german(admin_client_de, reverse("admin:integrations_outboundmessage_changelist"))
    failed_page = get_german(admin_client_de, reverse("admin:integrations_outboundmessage_change", args=[failed.pk]))
    pending_page = get_german(admin_client_de, reverse("admin:integrations_outboundmessage_change", args=[pending.pk]))

    assert listing.count('<td class="field-next_attempt_shown">-</td>') == 1
    assert '<td class="field-next_attempt_shown">5. Dezember 2026 07:30</td>' in listing
    assert '<div class="readonly">-</div>' in failed_page.split("Nächster Versuch am")[1][:200]
    assert '<div class="readonly">5. Dezember 2026 07:30</div>' in pending_page


# Sync runs link to their errors


def test_sync_run_links_open_errors(admin_client_de):
    connection = shopware_connection()
    run = SyncRun.objects.create(kind="push", connection=connection, entity="products", started_at=timezone.now(), failed_count=3)
    for external_id in ("jacket-s", "jacket-m"):
        SyncError.objects.create(connection=connection, direction="outbound", entity="products", external_id=external_id, code="price_missing", message="x", sync_run=run)
    SyncError.objects.create(connection=connection, direction="outbound", entity="products", code="x", message="x", sync_run=run, resolved=True)
    errors_url = reverse("admin:integrations_syncerror_changelist") + f"?sync_run__id__exact={run.pk}&amp;resolved__exact=0"

    listing = get_german(admin_client_de, reverse("admin:integrations_syncrun_changelist"))
    detail = get_german(admin_client_de, reverse("admin:integrations_syncrun_change", args=[run.pk]))
    filtered = get_german(admin_client_de, errors_url.replace("&amp;", "&"))

    assert f'<td class="field-failed_link"><a href="{errors_url}">3</a></td>' in listing
    assert f'<div class="readonly"><a href="{errors_url}">2 offene Synchronisationsfehler</a></div>' in detail
    assert "2 Synchronisationsfehler" in filtered
    assert "jacket-s" in filtered


def test_sync_run_without_failures_no_link(admin_client_de):
    run = SyncRun.objects.create(kind="pull", connection=shopware_connection(), entity="stock", started_at=timezone.now())

    listing = get_german(admin_client_de, reverse("admin:integrations_syncrun_changelist"))
    detail = get_german(admin_client_de, reverse("admin:integrations_syncrun_change", args=[run.pk]))

    assert '<td class="field-failed_link">0</td>' in listing
    assert "sync_run__id__exact" not in detail


# Lane heartbeats


def test_lane_heartbeat_delay_rounded(admin_client_de):
    LaneHeartbeat.objects.create(lane="poll", last_seen_at=timezone.now(), queue_delay_seconds=47.535684)

    html = get_german(admin_client_de, reverse("admin:monitoring_laneheartbeat_changelist"))

    assert '<td class="field-queue_delay_shown">47,5 s</td>' in html
    assert "47,535684" not in html


# Monitoring dashboard


def dashboard_tile(html, slug):
    start = html.index(f'data-connection="{slug}"')
    return html[start:html.index("</section>", start)]


def test_dashboard_tile_names_connector(admin_client_de):
    shopware_connection()
    Connection.objects.create(kind="otto", name="Otto Markt", slug="otto")

    html = get_german(admin_client_de, reverse("admin:monitoring_dashboard_changelist"))

    assert '<p class="kontor-kind">Shopware 6 · shop-de</p>' in dashboard_tile(html, "shop-de")
    assert '<p class="kontor-kind">otto · otto</p>' in dashboard_tile(html, "otto")


def test_dashboard_switched_off_german(admin_client_de):
    Connection.objects.create(kind="odoo", name="ERP", slug="erp", enabled=False)

    html = get_german(admin_client_de, reverse("admin:monitoring_dashboard_changelist"))

    assert "Die Verbindung ist abgeschaltet, daher ruft Kontor nichts ab und überträgt nichts." in dashboard_tile(html, "erp")


def test_channel_rejects_invalid_recipients(admin_client_de):
    data = {"name": "Support", "kind": "email", "recipients": "support@example.com,\nkein-email; a@b", "url": ""}

    response = post_german(admin_client_de, reverse("admin:monitoring_notificationchannel_add"), data)

    assert form_errors(response, "recipients") == [
        "Das sind keine gültigen E-Mail-Adressen: kein-email, a@b. Korrigieren Sie sie und trennen Sie Adressen "
        "durch Kommas oder Zeilenumbrüche."
    ]
    assert not NotificationChannel.objects.exists()


def test_channel_accepts_valid_recipients(admin_client_de):
    data = {"name": "Support", "kind": "email", "recipients": "support@example.com\nlager@example.de", "url": ""}

    response = post_german(admin_client_de, reverse("admin:monitoring_notificationchannel_add"), data)

    assert response.status_code == 302
    assert NotificationChannel.objects.get().recipient_list == ["support@example.com", "lager@example.de"]


# Leading system rules


def test_rule_rejects_group_of_domain_without_groups(admin_client_de):
    connection = shopware_connection()

    response = post_german(
        admin_client_de, reverse("admin:integrations_leadingsystemrule_add"),
        {"domain": "stock", "field_group": "texts", "connection": connection.pk},
    )

    assert form_errors(response, "field_group") == [
        "Die Datendomäne Bestand hat keine Feldgruppen, daher würde eine Regel für Texte nie greifen. Lassen Sie "
        "die Feldgruppe leer, um das führende System der ganzen Datendomäne festzulegen."
    ]
    assert not LeadingSystemRule.objects.filter(domain="stock").exists()


def test_rule_rejects_group_of_other_domain(admin_client_de):
    connection = shopware_connection()

    response = post_german(
        admin_client_de, reverse("admin:integrations_leadingsystemrule_add"),
        {"domain": "products", "field_group": "status", "connection": connection.pk},
    )

    assert form_errors(response, "field_group") == [
        "Status ist keine Feldgruppe der Datendomäne Artikel. Wählen Sie eine von Texte, Attribute, Kategorien, "
        "Medien, Kennungen, oder lassen Sie die Feldgruppe leer, um das führende System der ganzen Datendomäne festzulegen."
    ]


def test_rule_accepts_group_of_domain(admin_client_de):
    connection = shopware_connection()

    response = post_german(
        admin_client_de, reverse("admin:integrations_leadingsystemrule_add"),
        {"domain": "orders", "field_group": "status", "connection": connection.pk},
    )

    assert response.status_code == 302
    assert LeadingSystemRule.objects.filter(domain="orders", field_group="status", connection=connection).exists()


# Customer addresses


def test_address_form_customer_first(admin_client_de):
    html = get_german(admin_client_de, reverse("admin:customers_address_add"))

    names = re.findall(r'<(?:input|select)[^>]*name="(customer|kind|first_name|country)"', html)
    assert names == ["customer", "kind", "first_name", "country"]


def test_address_added_for_customer(admin_client_de):
    customer = Customer.objects.create(email="kundin@example.com")

    response = post_german(
        admin_client_de,
        reverse("admin:customers_address_add"),
        {"customer": customer.pk, "kind": "billing", "street": "Hauptstraße 1", "postal_code": "10115", "city": "Berlin", "country": "DE"},
    )

    assert response.status_code == 302
    assert list(customer.addresses.values_list("street", "city")) == [("Hauptstraße 1", "Berlin")]


# Customers


def customer_form(**changes):
    data = {
        "email": "kunde@example.com", "language": "de",
        "addresses-TOTAL_FORMS": "0", "addresses-INITIAL_FORMS": "0", "addresses-MIN_NUM_FORMS": "0", "addresses-MAX_NUM_FORMS": "1000",
        "consents-TOTAL_FORMS": "0", "consents-INITIAL_FORMS": "0", "consents-MIN_NUM_FORMS": "0", "consents-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def test_customer_duplicate_email_named(admin_client_de):
    Customer.objects.create(email="kunde@example.com")

    response = post_german(admin_client_de, reverse("admin:customers_customer_add"), customer_form(email="Kunde@example.com"))

    assert form_errors(response, "email") == [
        "Ein registrierter Kunde mit der E-Mail-Adresse Kunde@example.com existiert bereits. Suchen Sie ihn in der "
        "Kundenliste, oder setzen Sie „Gast“ für den Käufer einer Gastbestellung."
    ]
    assert "customer_unique_registered_email" not in response.content.decode()
    assert Customer.objects.count() == 1


def test_customer_guest_same_email_saved(admin_client_de):
    Customer.objects.create(email="kunde@example.com")

    response = post_german(admin_client_de, reverse("admin:customers_customer_add"), customer_form(is_guest="on"))

    assert response.status_code == 302
    assert Customer.objects.filter(email="kunde@example.com").count() == 2


def test_customer_saved_again_unchanged(admin_client_de):
    customer = Customer.objects.create(email="kunde@example.com", first_name="Anna")

    response = post_german(
        admin_client_de, reverse("admin:customers_customer_change", args=[customer.pk]), customer_form(first_name="Anne"),
    )

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.first_name == "Anne"


# Django's user admin, whose German catalog misses these texts


def test_user_add_page_german(admin_client_de):
    html = get_german(admin_client_de, reverse("admin:auth_user_add"))

    assert "Nachdem Sie einen Benutzer angelegt haben, können Sie weitere Benutzeroptionen bearbeiten." in html
    assert "Anmeldung mit Passwort" in html
    assert "Password-based authentication" not in html
    assert "After you’ve created a user" not in html


def test_user_change_page_german(admin_client_de):
    user = get_user_model().objects.get(username="admin")

    html = get_german(admin_client_de, reverse("admin:auth_user_change", args=[user.pk]))

    assert "Passwort zurücksetzen" in html
    assert "Raw passwords are not stored" not in html


# Language menu in the header


def test_language_menu_own_names(admin_client_de):
    html = get_german(admin_client_de, reverse("admin:index"))

    assert '<option value="en" lang="en">English</option>' in html
    assert '<option value="de" lang="de" selected>Deutsch</option>' in html
    assert ">Englisch</option>" not in html


def test_language_label_header_color(admin_client_de):
    html = get_german(admin_client_de, reverse("admin:index"))

    assert "<style>.kontor-language-switch label { color: inherit; }</style>" in html
    assert '<label for="kontor-language">/ Sprache</label>' in html
