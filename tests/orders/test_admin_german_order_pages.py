"""The order pages of the German admin show labels, localised amounts and readable actors, not raw codes."""

import html
import re
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from apiclients.services import create_client
from integrations.models import Connection
from integrations.odoo.inbound import ACTOR as ODOO_ACTOR
from orders.models import Order, OrderStatus, TaxLine
from orders.services import TaxLineInput, create_order, transition_order
from tests.admin_pages import admin_page as get_german
from tests.orders.test_order_service import line, make_channel, make_product, order_input
from tests.orders.test_status_notes import empty_inlines

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna():
    return get_user_model().objects.create_superuser("anna", "anna@example.com", "pw-anna-1", first_name="Anna", last_name="Schmidt")


@pytest.fixture
def admin_client_de(client, anna):
    client.force_login(anna)
    return client


@pytest.fixture
def shop():
    return Connection.objects.create(kind="shopware", name="Shopware (sandbox)", slug="shopware-sandbox", base_url="https://shop.example.com")


@pytest.fixture
def erp():
    return Connection.objects.create(kind="odoo", name="Odoo (sandbox)", slug="odoo-sandbox", base_url="https://erp.example.com")


@pytest.fixture
def order(shop):
    """Order 10009 of channel shop-de as Shopware delivers it, taxed 7,199.06 EUR at 19 %, large enough for thousands separators."""
    make_product(on_hand=5)
    data = order_input(
        make_channel(),
        number="10009",
        connection=shop,
        lines=[line(net="37889.79", tax="7199.06", gross="45088.85")],
        tax_lines=[TaxLineInput(rate=Decimal("19.000"), net=Decimal("37889.79"), tax=Decimal("7199.06"))],
    )
    with translation.override("en"):
        return create_order(data, actor=f"shopware:{shop.slug}").order


def post_german(client, url, data):
    with translation.override("de"):
        return client.post(url, data, HTTP_ACCEPT_LANGUAGE="de", follow=True)


def visible_text(page):
    """Return the visible text of `page`: no tags, attributes or scripts, entities decoded, spaces collapsed."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def order_page(client, order):
    return get_german(client, reverse("admin:orders_order_change", args=[order.pk]))


def run_action(client, action, orders):
    return post_german(
        client,
        reverse("admin:orders_order_changelist"),
        {"action": action, admin.helpers.ACTION_CHECKBOX_NAME: [order.pk for order in orders]},
    )


def warnings_of(response):
    return [html.unescape(text) for text in re.findall(r'<li class="warning">(.*?)</li>', response.content.decode(), flags=re.S)]


# Status history titles


def test_history_title_uses_status_labels(order, erp):
    change = transition_order(order.pk, OrderStatus.CONFIRMED, actor=ODOO_ACTOR, connection=erp)

    with translation.override("de"):
        german = str(change)
    with translation.override("en"):
        english = str(change)

    assert german == "shop-de/10009: neu → vom ERP bestätigt"
    assert english == "shop-de/10009: new → confirmed by ERP"


def test_first_history_title_has_no_from_status(order):
    with translation.override("de"):
        title = str(order.status_history.get())

    assert title == "shop-de/10009: - → neu"


def test_order_page_history_titles_in_german(admin_client_de, order, erp):
    transition_order(order.pk, OrderStatus.CONFIRMED, actor=ODOO_ACTOR, connection=erp)

    text = visible_text(order_page(admin_client_de, order))

    assert "shop-de/10009: - → neu" in text
    assert "shop-de/10009: neu → vom ERP bestätigt" in text
    assert "new → confirmed" not in text
    assert "- → new" not in text


def test_order_page_history_heading(admin_client_de, order):
    page = order_page(admin_client_de, order)

    heading = re.search(r'<h2 id="status_history-heading"[^>]*>(.*?)</h2>', page, flags=re.S)
    assert heading.group(1).strip() == "Statusverlauf"


def test_history_detail_page_title_in_german(admin_client_de, order, erp):
    change = transition_order(order.pk, OrderStatus.CONFIRMED, actor=ODOO_ACTOR, connection=erp)

    text = visible_text(get_german(admin_client_de, reverse("admin:orders_orderstatuschange_change", args=[change.pk])))

    assert "shop-de/10009: neu → vom ERP bestätigt" in text
    assert "Geändert von: Verbindung Odoo (sandbox)" in text
    assert "new → confirmed" not in text


def test_history_list_target_status_filter_title(admin_client_de, order):
    text = visible_text(get_german(admin_client_de, reverse("admin:orders_orderstatuschange_changelist")))

    assert "Nach Zielstatus" in text
    assert "Nach nach" not in text


def test_model_check_names_status_labels(order):
    order.status = OrderStatus.NEW
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.DELIVERED)

    with translation.override("de"), pytest.raises(ValidationError) as caught:
        order.clean()

    assert caught.value.message_dict["status"] == ["Bestellung 10009 kann nicht vom Status „zugestellt“ auf „neu“ wechseln."]


# Tax lines and amounts


def test_tax_line_title_with_currency(order):
    tax_line = order.tax_lines.get()

    with translation.override("de"):
        german = str(tax_line)
    with translation.override("en"):
        english = str(tax_line)

    assert german == "19 %: 7.199,06 EUR"
    assert english == "19 %: 7,199.06 EUR"


def test_tax_line_title_with_fractional_rate():
    tax_line = TaxLine(rate=Decimal("7.500"), net=Decimal("100.00"), tax=Decimal("7.00"))

    with translation.override("de"):
        title = str(tax_line)

    assert title == "7,5 %: 7,00"


def test_order_page_tax_line_in_german(admin_client_de, order):
    text = visible_text(order_page(admin_client_de, order))

    assert "Steuerzeilen Satz % Bezeichnung Netto Steuer 19 %: 7.199,06 EUR 19 - 37.889,79 EUR 7.199,06 EUR" in text
    assert "7199.06" not in text
    assert "19,000" not in text


def test_order_page_line_quantity_and_rate_without_padding(admin_client_de, order):
    text = visible_text(order_page(admin_client_de, order))

    assert "1 x CAM-1 1 CAM-1 - CAM-1 1 45.088,85 EUR 19 0,00 EUR 37.889,79 EUR 7.199,06 EUR 45.088,85 EUR" in text
    assert "1,000" not in text


def test_payment_title_amount_localised(order):
    from tests.factories import PaymentFactory

    payment = PaymentFactory(order=order, amount=Decimal("1234.5000"), external_id="pi_1")

    with translation.override("de"):
        title = str(payment)

    assert title == "Stripe pi_1 (1.234,50 EUR)"


# Actors


def test_connector_actor_shows_connection_name(admin_client_de, order, erp):
    transition_order(order.pk, OrderStatus.CONFIRMED, actor=ODOO_ACTOR, connection=erp)

    page = order_page(admin_client_de, order)
    text = visible_text(page)

    assert "neu Verbindung Shopware (sandbox) - Shopware (sandbox) Bestellung eingegangen" in text
    assert "neu vom ERP bestätigt Verbindung Odoo (sandbox) - Odoo (sandbox)" in text
    assert "shopware:shopware-sandbox" not in text
    assert ODOO_ACTOR not in text
    # The stored code stays on the page for audits, as the name's tooltip.
    assert '<span title="shopware:shopware-sandbox">Verbindung Shopware (sandbox)</span>' in page


def test_actor_is_stored_unchanged(admin_client_de, order, erp):
    transition_order(order.pk, OrderStatus.CONFIRMED, actor=ODOO_ACTOR, connection=erp)

    order_page(admin_client_de, order)

    actors = list(order.status_history.order_by("created_at", "id").values_list("actor", flat=True))
    assert actors == ["shopware:shopware-sandbox", ODOO_ACTOR]


def test_odoo_actor_without_connection(admin_client_de, order):
    transition_order(order.pk, OrderStatus.CONFIRMED, actor=ODOO_ACTOR)

    text = visible_text(order_page(admin_client_de, order))

    assert "neu vom ERP bestätigt Odoo-Konnektor - -" in text


def test_admin_actor_shows_user_name(admin_client_de, order):
    response = run_action(admin_client_de, "mark_confirmed", [order])

    text = visible_text(order_page(admin_client_de, order))

    assert response.status_code == 200
    assert "neu vom ERP bestätigt Benutzer Anna Schmidt anna -" in text
    assert "admin:anna" not in text


def test_admin_actor_of_deleted_user(admin_client_de, order):
    transition_order(order.pk, OrderStatus.CONFIRMED, actor="admin:berta")

    text = visible_text(order_page(admin_client_de, order))

    assert "neu vom ERP bestätigt Benutzer berta - -" in text


def test_api_client_actor_shows_client_name(admin_client_de, order):
    client, _token = create_client(name="Kassen-App", channel=order.channel, scopes=["orders:write"], actor="test")
    transition_order(order.pk, OrderStatus.CONFIRMED, actor=f"api-client:{client.pk}")

    text = visible_text(order_page(admin_client_de, order))

    assert "neu vom ERP bestätigt API-Client Kassen-App - -" in text
    assert f"api-client:{client.pk}" not in text


def test_actor_of_removed_connection(admin_client_de, order):
    transition_order(order.pk, OrderStatus.CONFIRMED, actor="dhl:old-dhl")

    text = visible_text(order_page(admin_client_de, order))

    assert "neu vom ERP bestätigt Verbindung old-dhl (nicht gefunden) - -" in text


def test_actor_of_other_form_shown_as_stored(admin_client_de, order):
    transition_order(order.pk, OrderStatus.CONFIRMED, actor="nightly cleanup")

    text = visible_text(order_page(admin_client_de, order))

    assert "neu vom ERP bestätigt nightly cleanup - -" in text


def test_actor_names_in_english(client, anna, order, erp):
    transition_order(order.pk, OrderStatus.CONFIRMED, actor=ODOO_ACTOR, connection=erp)
    client.force_login(anna)

    with translation.override("en"):
        text = visible_text(client.get(reverse("admin:orders_orderstatuschange_changelist"), HTTP_ACCEPT_LANGUAGE="en").content.decode())

    assert "Connection Shopware (sandbox)" in text
    assert "Connection Odoo (sandbox)" in text
    assert "By target status" in text


def test_history_list_actor_names_in_german(admin_client_de, order, erp):
    transition_order(order.pk, OrderStatus.CONFIRMED, actor=ODOO_ACTOR, connection=erp)

    text = visible_text(get_german(admin_client_de, reverse("admin:orders_orderstatuschange_changelist")))

    assert "shop-de/10009 - neu Verbindung Shopware (sandbox) Shopware (sandbox)" in text
    assert "shop-de/10009 neu vom ERP bestätigt Verbindung Odoo (sandbox) Odoo (sandbox)" in text
    assert ODOO_ACTOR not in text


def test_actor_names_cost_no_query_per_row(admin_client_de, order, shop):
    def count_queries():
        with CaptureQueriesContext(db_connection) as context:
            order_page(admin_client_de, order)
        return len(context.captured_queries)

    transition_order(order.pk, OrderStatus.CONFIRMED, actor=f"shopware:{shop.slug}")
    few = count_queries()
    for status in (OrderStatus.IN_FULFILMENT, OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        transition_order(order.pk, status, actor=f"shopware:{shop.slug}")
    many = count_queries()

    assert many == few


# Status actions


def test_action_on_delivered_order_warns_with_status(admin_client_de, order):
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.DELIVERED)

    response = run_action(admin_client_de, "mark_confirmed", [order])

    assert warnings_of(response) == [
        "Bestellung shop-de/10009 wurde nicht auf „vom ERP bestätigt“ gesetzt, weil sie bereits „zugestellt“ ist. Der Versuch steht im Statusverlauf.",
        "0 Bestellungen auf „vom ERP bestätigt“ gesetzt.",
    ]
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED


def test_disallowed_action_warns_with_status_labels(admin_client_de, order):
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.DELIVERED)

    response = run_action(admin_client_de, "mark_cancelled", [order])

    assert warnings_of(response) == [
        "Bestellung shop-de/10009 kann nicht von „zugestellt“ auf „storniert“ wechseln.",
        "0 Bestellungen auf „storniert“ gesetzt.",
    ]
    assert "delivered" not in visible_text(response.content.decode())


def test_action_on_order_already_there(admin_client_de, order):
    transition_order(order.pk, OrderStatus.CONFIRMED, actor="test")

    response = run_action(admin_client_de, "mark_confirmed", [order])

    assert warnings_of(response) == [
        "Bestellung shop-de/10009 ist bereits „vom ERP bestätigt“.",
        "0 Bestellungen auf „vom ERP bestätigt“ gesetzt.",
    ]


def test_action_moves_others_and_warns_per_order(admin_client_de, order):
    second = create_order(order_input(order.channel, number="10010"), actor="test").order
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.CANCELLED)

    response = run_action(admin_client_de, "mark_confirmed", [order, second])

    second.refresh_from_db()
    assert second.status == OrderStatus.CONFIRMED
    assert warnings_of(response) == ["Bestellung shop-de/10009 kann nicht von „storniert“ auf „vom ERP bestätigt“ wechseln."]
    assert '<li class="success">1 Bestellung auf „vom ERP bestätigt“ gesetzt.</li>' in response.content.decode()


def test_action_warning_in_english(client, anna, order):
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.DELIVERED)
    client.force_login(anna)

    with translation.override("en"):
        response = client.post(
            reverse("admin:orders_order_changelist"),
            {"action": "mark_confirmed", admin.helpers.ACTION_CHECKBOX_NAME: [order.pk]},
            HTTP_ACCEPT_LANGUAGE="en",
            follow=True,
        )

    assert warnings_of(response)[0] == (
        "Order shop-de/10009 was not moved to confirmed by ERP because it is already delivered. The attempt is recorded in its status history."
    )


# Attention flag


def post_attention(client, order, note):
    url = reverse("admin:orders_order_change", args=[order.pk])
    form_page = get_german(client, url)
    with translation.override("de"):
        return client.post(url, {"needs_attention": "on", "attention_note": note, **empty_inlines(form_page)}, HTTP_ACCEPT_LANGUAGE="de")


@pytest.mark.parametrize("note", ["", "   "])
def test_attention_without_note_rejected(admin_client_de, order, note):
    response = post_attention(admin_client_de, order, note)

    order.refresh_from_db()
    assert response.status_code == 200
    assert "Schreiben Sie in die Notiz, was Aufmerksamkeit erfordert, oder entfernen Sie den Haken bei „Erfordert Aufmerksamkeit“." in response.content.decode()
    assert order.needs_attention is False


def test_attention_with_note_saved(admin_client_de, order):
    response = post_attention(admin_client_de, order, "Kunde ruft zurück")

    order.refresh_from_db()
    assert response.status_code == 302
    assert (order.needs_attention, order.attention_note) == (True, "Kunde ruft zurück")


def test_note_without_flag_accepted(admin_client_de, order):
    url = reverse("admin:orders_order_change", args=[order.pk])
    form_page = get_german(admin_client_de, url)

    with translation.override("de"):
        response = admin_client_de.post(url, {"attention_note": "", **empty_inlines(form_page)}, HTTP_ACCEPT_LANGUAGE="de")

    assert response.status_code == 302


def test_attention_error_in_english(client, anna, order):
    client.force_login(anna)
    url = reverse("admin:orders_order_change", args=[order.pk])
    with translation.override("en"):
        form_page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        response = client.post(url, {"needs_attention": "on", "attention_note": "", **empty_inlines(form_page)}, HTTP_ACCEPT_LANGUAGE="en")

    assert "Write in the note what needs attention, or clear &quot;Needs attention&quot;." in response.content.decode()
