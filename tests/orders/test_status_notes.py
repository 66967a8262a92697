"""Status history and attention notes written by workers are shown in the reader's language."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy

from core.translation import Translatable, translations_of
from orders.models import OrderStatus
from orders.services import create_order, set_attention_note, transition_order
from tests.orders.test_order_service import line, make_channel, make_product, order_input

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    make_product()
    with translation.override("en"):
        return create_order(order_input(make_channel()), actor="shopware:shop-de").order


def test_first_note_in_every_language(order):
    change = order.status_history.get()

    assert change.note == "Order received"
    assert change.note_translations["de"] == "Bestellung eingegangen"
    with translation.override("de"):
        assert change.localized_note() == "Bestellung eingegangen"


def test_translatable_note_of_a_transition(order):
    with translation.override("en"):
        change = transition_order(order.pk, OrderStatus.CANCELLED, actor="shopware:shop-de", note=Translatable(gettext_lazy("Cancelled in Shopware")))

    assert change.note == "Cancelled in Shopware"
    with translation.override("de"):
        assert change.localized_note() == "In Shopware storniert"


def test_plain_note_stays_as_written(order):
    change = transition_order(order.pk, OrderStatus.CONFIRMED, actor="admin:anna", note="Rückruf vereinbart")

    assert change.note_translations == {}
    with translation.override("en"):
        assert change.localized_note() == "Rückruf vereinbart"


def test_backwards_report_note_in_german(order):
    transition_order(order.pk, OrderStatus.CONFIRMED, actor="odoo:erp")
    with translation.override("en"):
        transition_order(order.pk, OrderStatus.SHIPPED, actor="carrier:dhl")
        change = transition_order(order.pk, OrderStatus.CONFIRMED, actor="odoo:erp")

    assert change.applied is False
    with translation.override("de"):
        assert change.localized_note() == "Nicht übernommen: Die Bestellung ist bereits weiter fortgeschritten."


def test_parameters_filled_in_each_language():
    text = Translatable(gettext_lazy("Line %(sku)s: gross %(gross)s is not net %(net)s plus tax %(tax)s."), sku="CAM-1", gross="1", net="2", tax="3")

    translations = translations_of(text)

    assert translations["en"] == "Line CAM-1: gross 1 is not net 2 plus tax 3."
    assert translations["de"].startswith("Position CAM-1")


def test_template_without_parameters_keeps_percent_signs():
    assert str(Translatable("19 %")) == "19 %"
    assert translations_of("plain text") == {}


def test_admin_order_page_shows_german_note(order, client):
    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(user)

    response = client.get(reverse("admin:orders_order_change", args=[order.pk]), HTTP_ACCEPT_LANGUAGE="de")
    history = client.get(reverse("admin:orders_orderstatuschange_change", args=[order.status_history.get().pk]), HTTP_ACCEPT_LANGUAGE="de")

    assert response.status_code == 200
    assert "Bestellung eingegangen" in response.content.decode()
    assert "Bestellung eingegangen" in history.content.decode()


def test_attention_note_in_every_language(order):
    with translation.override("en"):
        set_attention_note(order, Translatable(gettext_lazy("Reported by the carrier")))

    assert order.needs_attention is True
    assert order.attention_note == "Reported by the carrier"
    with translation.override("de"):
        assert order.localized_attention_note() == "Vom Versanddienstleister gemeldet"


def test_appended_plain_note_joins_each_language(order):
    with translation.override("en"):
        set_attention_note(order, Translatable(gettext_lazy("Order received")))
        set_attention_note(order, "Kunde ruft zurück", append=True)

    assert order.attention_note == "Order received\nKunde ruft zurück"
    assert order.attention_note_translations["de"] == "Bestellung eingegangen\nKunde ruft zurück"


def test_appended_translatable_keeps_a_plain_note(order):
    set_attention_note(order, "Bitte prüfen")
    with translation.override("en"):
        set_attention_note(order, Translatable(gettext_lazy("Order received")), append=True)

    assert order.attention_note_translations == {"en": "Bitte prüfen\nOrder received", "de": "Bitte prüfen\nBestellung eingegangen"}


def test_shortage_note_lists_each_sku_in_german():
    make_product(on_hand=1)
    with translation.override("en"):
        result = create_order(order_input(make_channel(), lines=[line(quantity="3", net="30.00", tax="5.70", gross="35.70")]), actor="shop")

    with translation.override("de"):
        note = result.order.localized_attention_note()
    assert note == "Bestand konnte nicht reserviert werden: CAM-1: 3 bestellt, 1 verfügbar. Prüfen Sie den Bestand oder kontaktieren Sie den Kunden."
    assert result.order.attention_note.startswith("Stock could not be reserved: CAM-1: 3 ordered, 1 available.")


def test_person_editing_the_note_replaces_translations(order, client):
    with translation.override("en"):
        set_attention_note(order, Translatable(gettext_lazy("Reported by the carrier")))
    order.save()
    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(user)
    url = reverse("admin:orders_order_change", args=[order.pk])

    form_page = client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    unchanged = client.post(url, {"needs_attention": "on", "attention_note": "Vom Versanddienstleister gemeldet", **empty_inlines(form_page)}, HTTP_ACCEPT_LANGUAGE="de")
    order.refresh_from_db()
    kept = dict(order.attention_note_translations)
    edited = client.post(url, {"needs_attention": "on", "attention_note": "Paket neu senden", **empty_inlines(form_page)}, HTTP_ACCEPT_LANGUAGE="de")
    order.refresh_from_db()

    assert "Vom Versanddienstleister gemeldet</textarea>" in form_page
    assert (unchanged.status_code, edited.status_code) == (302, 302)
    assert kept["en"] == "Reported by the carrier"
    assert (order.attention_note, order.attention_note_translations) == ("Paket neu senden", {})
    with translation.override("en"):
        assert order.localized_attention_note() == "Paket neu senden"


def empty_inlines(page):
    """Return the management form fields of every inline formset on an admin change page."""
    import re

    fields = {}
    for prefix in set(re.findall(r'name="([^"]+)-TOTAL_FORMS"', page)):
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            value = re.search(rf'name="{re.escape(prefix)}-{name}"[^>]*value="(\d*)"', page)
            fields[f"{prefix}-{name}"] = value.group(1) if value else "0"
    return fields
