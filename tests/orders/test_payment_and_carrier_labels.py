"""The German admin shows payment providers, payment methods and carriers by their labels, not their codes."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from orders.models.payments import payment_method_label, payment_provider_label
from orders.models.shipments import carrier_label
from tests.factories import OrderFactory, PaymentFactory, ShipmentFactory
from tests.orders.test_admin_german_order_pages import get_german, visible_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_de(client):
    client.force_login(get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-admin-1"))
    return client


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("card", "Karte"),
        ("creditcard", "Kreditkarte"),
        ("banktransfer", "Überweisung"),
        ("bank_transfer", "Überweisung"),
        ("invoice", "Rechnung"),
        ("prepayment", "Vorkasse"),
        ("sepa_debit", "SEPA-Lastschrift"),
        ("paypal", "PayPal"),
        ("ideal", "iDEAL"),
        ("acme_pay", "acme_pay"),
        ("", ""),
    ],
)
def test_payment_method_label_in_german(code, label):
    with translation.override("de"):
        assert str(payment_method_label(code)) == label


def test_payment_method_label_in_english():
    with translation.override("en"):
        assert str(payment_method_label("banktransfer")) == "bank transfer"


@pytest.mark.parametrize(("code", "label"), [("stripe", "Stripe"), ("paypal", "PayPal"), ("mollie", "Mollie"), ("acme", "acme")])
def test_payment_provider_label(code, label):
    with translation.override("de"):
        assert str(payment_provider_label(code)) == label


@pytest.mark.parametrize(("code", "label"), [("dhl", "DHL"), ("dpd", "DPD"), ("sendcloud", "Sendcloud"), ("acme_post", "acme_post")])
def test_carrier_label(code, label):
    with translation.override("de"):
        assert carrier_label(code) == label


def test_payment_and_shipment_titles_use_labels():
    payment = PaymentFactory(provider="mollie", external_id="tr_1")
    shipment = ShipmentFactory(carrier="dhl", tracking_number="00340434161094042557")

    with translation.override("de"):
        assert str(payment).startswith("Mollie tr_1 (")
        assert str(shipment) == "DHL 00340434161094042557"


# Payment admin


def test_payment_list_shows_labels(admin_client_de):
    PaymentFactory(provider="stripe", method="card", external_id="pi_1")
    PaymentFactory(provider="mollie", method="banktransfer", external_id="tr_1")
    PaymentFactory(provider="mollie", method="acme_pay", external_id="tr_2")

    text = visible_text(get_german(admin_client_de, reverse("admin:orders_payment_changelist")))

    assert "pi_1 Stripe" in text
    assert "Karte" in text
    assert "tr_1 Mollie" in text
    assert "Überweisung" in text
    assert "acme_pay" in text
    assert " stripe " not in text
    assert " card " not in text
    assert "banktransfer" not in text


def test_payment_list_filters_list_labels(admin_client_de):
    PaymentFactory(provider="stripe", method="card", external_id="pi_1")
    PaymentFactory(provider="paypal", method="paypal", external_id="CAPTURE-1")

    page = get_german(admin_client_de, reverse("admin:orders_payment_changelist"))

    assert '<a href="?provider=stripe">Stripe</a>' in page
    assert '<a href="?provider=paypal">PayPal</a>' in page
    assert '<a href="?method=card">Karte</a>' in page


def test_payment_list_filter_by_method(admin_client_de):
    PaymentFactory(provider="stripe", method="card", external_id="pi_1")
    PaymentFactory(provider="mollie", method="banktransfer", external_id="tr_1")

    text = visible_text(get_german(admin_client_de, reverse("admin:orders_payment_changelist") + "?method=banktransfer"))

    assert "tr_1" in text
    assert "pi_1" not in text


def test_payment_page_shows_labels(admin_client_de):
    payment = PaymentFactory(provider="stripe", method="card", external_id="pi_1")

    page = get_german(admin_client_de, reverse("admin:orders_payment_change", args=[payment.pk]))
    text = visible_text(page)

    assert "Anbieter: Stripe" in text
    assert "Zahlungsart: Karte" in text
    assert "Zahlungs-ID beim Anbieter: pi_1" in text
    assert "<title>Stripe pi_1 (11,90 EUR)" in page


# Shipment admin


def test_shipment_list_shows_labels(admin_client_de):
    ShipmentFactory(carrier="dhl", tracking_number="00340434161094042557")
    ShipmentFactory(carrier="acme_post", tracking_number="AC1")

    page = get_german(admin_client_de, reverse("admin:orders_shipment_changelist"))
    text = visible_text(page)

    assert "00340434161094042557 DHL" in text
    assert "AC1 acme_post" in text
    assert " dhl " not in text
    assert '<a href="?carrier=dhl">DHL</a>' in page


def test_shipment_page_shows_label(admin_client_de):
    shipment = ShipmentFactory(carrier="dhl", tracking_number="00340434161094042557")

    text = visible_text(get_german(admin_client_de, reverse("admin:orders_shipment_change", args=[shipment.pk])))

    assert "Versanddienstleister: DHL" in text


# Order page


def test_order_page_shows_payment_and_carrier_labels(admin_client_de):
    order = OrderFactory()
    PaymentFactory(order=order, provider="paypal", method="invoice", external_id="CAPTURE-1")
    ShipmentFactory(order=order, carrier="dpd", tracking_number="01234567890123")

    text = visible_text(get_german(admin_client_de, reverse("admin:orders_order_change", args=[order.pk])))

    assert "CAPTURE-1 PayPal Rechnung" in text
    assert "01234567890123 DPD" in text
    assert " paypal " not in text
    assert " invoice " not in text
    assert " dpd " not in text
