"""The order form reports a totals problem above the form instead of failing with a server error."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.forms.models import model_to_dict
from django.test import RequestFactory
from django.utils import translation

from orders.models import Order, RoundingRule
from tests.factories import OrderFactory, TaxLineFactory

pytestmark = pytest.mark.django_db


def form_errors(order, language):
    """Validate the admin form of `order` in `language` and return whether it is valid and the messages above it."""
    form = order_form(order)
    with translation.override(language):
        valid = form.is_valid()
        errors = list(form.non_field_errors())
    return valid, errors


def order_form(order):
    """Return the admin's change form of `order`, bound to the order's own values."""
    request = RequestFactory().get("/")
    request.user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-admin-1")
    model_admin = admin.site._registry[Order]
    form_class = model_admin.get_form(request, obj=order, change=True)
    fields = list(form_class.base_fields)
    data = {name: value for name, value in model_to_dict(order, fields=fields).items() if value is not None}
    return form_class(data=data, instance=order)


def test_totals_mismatch_shown_above_form():
    # Totals edited by hand so that they no longer match the order's line.
    order = OrderFactory()
    Order.objects.filter(pk=order.pk).update(total_net=Decimal("20.00"), total_gross=Decimal("21.90"))
    order.refresh_from_db()
    form = order_form(order)

    with translation.override("de"):
        valid = form.is_valid()
        errors = form.non_field_errors()

    assert valid is False
    assert "total_net" not in form.fields
    assert [message.split(": ", 1)[0] for message in errors] == ["Summe netto", "Summe brutto"]
    assert errors[0] == (
        "Summe netto: Bestellsumme 20,00 EUR passt nicht zu Positionen und Versand, die zusammen 10,00 EUR ergeben. "
        "Prüfen Sie die Bestellung im Quellsystem."
    )
    assert errors[1] == (
        "Summe brutto: Bestellsumme 21,90 EUR passt nicht zu Positionen und Versand, die zusammen 11,90 EUR ergeben. "
        "Prüfen Sie die Bestellung im Quellsystem."
    )


def test_matching_totals_pass():
    form = order_form(OrderFactory())

    assert form.is_valid(), form.errors


def test_totals_mismatch_in_english():
    order = OrderFactory()
    Order.objects.filter(pk=order.pk).update(total_net=Decimal("20.00"), total_gross=Decimal("21.90"))
    order.refresh_from_db()

    valid, errors = form_errors(order, "en")

    assert valid is False
    assert errors[0].endswith(
        "Order total 20.00 EUR does not match its lines and shipping, which add up to 10.00 EUR. "
        "Check the order in the source system."
    )
    assert "20.0000" not in errors[0]


def test_totals_compared_unrounded():
    # Rounded to cents the line's 10.004 would equal the order's 10.00, so the message keeps its digits.
    order = OrderFactory(lines=[{"total_net": Decimal("10.0040"), "total_tax": Decimal("1.8960")}])

    valid, errors = form_errors(order, "de")

    assert valid is False
    assert errors == [
        "Summe netto: Bestellsumme 10,00 EUR passt nicht zu Positionen und Versand, die zusammen 10,004 EUR ergeben. "
        "Prüfen Sie die Bestellung im Quellsystem.",
        "Summe Steuer: Bestellsumme 1,90 EUR passt nicht zu Positionen und Versand, die zusammen 1,896 EUR ergeben. "
        "Prüfen Sie die Bestellung im Quellsystem.",
    ]


def test_per_order_rounding_message():
    # Two lines of 8.4034 net add up to 16.8068, which rounds once to 16.81.
    line = {"total_net": Decimal("8.4034"), "total_tax": Decimal("1.5966"), "total_gross": Decimal("10.00")}
    order = OrderFactory(
        lines=[line, line], rounding_rule=RoundingRule.PER_ORDER,
        total_net=Decimal("16.80"), total_tax=Decimal("3.20"), total_gross=Decimal("20.00"),
    )

    valid, errors = form_errors(order, "de")

    assert valid is False
    assert errors == [
        "Summe netto: Bestellsumme 16,80 EUR passt nicht zu Positionen und Versand, die zusammen 16,81 EUR ergeben. "
        "Prüfen Sie die Bestellung im Quellsystem.",
        "Summe Steuer: Bestellsumme 3,20 EUR passt nicht zu Positionen und Versand, die zusammen 3,19 EUR ergeben. "
        "Prüfen Sie die Bestellung im Quellsystem.",
    ]


def test_tax_lines_mismatch_message():
    order = OrderFactory()
    TaxLineFactory(order=order, tax=Decimal("1.80"))

    valid, errors = form_errors(order, "de")

    assert valid is False
    assert errors == ["Summe Steuer: Die Steuerzeilen ergeben 1,80 EUR, die Steuersumme der Bestellung ist aber 1,90 EUR."]


def test_currency_without_minor_unit():
    line = {"unit_price": Decimal(1190), "total_net": Decimal(1000), "total_tax": Decimal(190), "total_gross": Decimal(1190)}
    order = OrderFactory(lines=[line], currency="JPY", total_net=Decimal(2000), total_tax=Decimal(190), total_gross=Decimal(2190))

    valid, errors = form_errors(order, "de")

    assert valid is False
    assert errors[0] == (
        "Summe netto: Bestellsumme 2.000 JPY passt nicht zu Positionen und Versand, die zusammen 1.000 JPY ergeben. "
        "Prüfen Sie die Bestellung im Quellsystem."
    )
