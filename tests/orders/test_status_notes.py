"""Status history notes written by workers are shown in the reader's language."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy

from core.translation import Translatable, translations_of
from orders.models import OrderStatus
from orders.services import create_order, transition_order
from tests.orders.test_order_service import make_channel, make_product, order_input

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
