"""The order, order line and document forms show the gross check's amounts with the currency's places."""

from decimal import Decimal

import pytest
from django.forms import modelform_factory
from django.utils import translation

from orders.models import Document, DocumentKind, Order, OrderLine
from tests.factories import OrderFactory
from tests.orders.test_admin_order_totals import form_errors

pytestmark = pytest.mark.django_db

LINE_FIELDS = ["order", "position", "sku", "quantity", "unit_price", "tax_rate", "total_net", "total_tax", "total_gross", "discount"]
DOCUMENT_FIELDS = ["order", "kind", "number", "currency", "amount_net", "amount_tax", "amount_gross"]


def bound_form(model, fields, data, language):
    """Validate a form of `model` with `data` in `language` and return it."""
    form = modelform_factory(model, fields=fields)(data=data)
    with translation.override(language):
        form.is_valid()
    return form


def line_data(order, **values):
    data = {
        "order": order.pk if order else "", "position": "2", "sku": "SKU-1", "quantity": "1", "unit_price": "10.00",
        "tax_rate": "19", "total_net": "10.00", "total_tax": "1.90", "total_gross": "11.90", "discount": "0",
    }
    return {**data, **values}


def document_data(order, **values):
    data = {
        "order": order.pk, "kind": DocumentKind.INVOICE, "number": "RE-1001", "currency": "EUR",
        "amount_net": "20", "amount_tax": "3.8", "amount_gross": "23.80",
    }
    return {**data, **values}


def test_admin_order_gross_in_german():
    order = OrderFactory()
    Order.objects.filter(pk=order.pk).update(total_gross=Decimal("21.90"))
    order.refresh_from_db()

    valid, errors = form_errors(order, "de")

    assert valid is False
    assert errors == ["Summe brutto: Brutto 21,90 EUR ist nicht netto 10,00 EUR plus Steuer 1,90 EUR."]


def test_admin_order_shipping_gross_in_german():
    order = OrderFactory()
    Order.objects.filter(pk=order.pk).update(
        shipping_net=Decimal("4.90"), shipping_tax=Decimal("0.93"), shipping_gross=Decimal("5.90"),
        total_net=Decimal("14.90"), total_tax=Decimal("2.83"), total_gross=Decimal("17.73"),
    )
    order.refresh_from_db()

    valid, errors = form_errors(order, "de")

    assert valid is False
    assert errors == ["Versand brutto: Brutto 5,90 EUR ist nicht netto 4,90 EUR plus Steuer 0,93 EUR."]


def test_admin_order_gross_without_minor_unit():
    line = {"unit_price": Decimal(1190), "total_net": Decimal(1000), "total_tax": Decimal(190), "total_gross": Decimal(1190)}
    order = OrderFactory(lines=[line], currency="JPY", total_net=Decimal(1000), total_tax=Decimal(190), total_gross=Decimal(1200))

    valid, errors = form_errors(order, "de")

    assert valid is False
    assert errors == ["Summe brutto: Brutto 1.200 JPY ist nicht netto 1.000 JPY plus Steuer 190 JPY."]


def test_order_line_gross_in_german():
    order = OrderFactory()

    form = bound_form(OrderLine, LINE_FIELDS, line_data(order, total_gross="12"), "de")

    assert form.errors.keys() == {"total_gross"}
    assert form.errors["total_gross"] == ["Brutto 12,00 EUR ist nicht netto 10,00 EUR plus Steuer 1,90 EUR."]


def test_order_line_uses_order_currency():
    line = {"unit_price": Decimal(1190), "total_net": Decimal(1000), "total_tax": Decimal(190), "total_gross": Decimal(1190)}
    order = OrderFactory(lines=[line], currency="JPY", total_net=Decimal(1000), total_tax=Decimal(190), total_gross=Decimal(1190))

    data = line_data(order, unit_price="1190", total_net="1000", total_tax="190", total_gross="1200")
    form = bound_form(OrderLine, LINE_FIELDS, data, "de")

    assert form.errors["total_gross"] == ["Brutto 1.200 JPY ist nicht netto 1.000 JPY plus Steuer 190 JPY."]


def test_order_line_without_order():
    # Without an order there is no currency, so the amounts are shown as entered.
    form = bound_form(OrderLine, LINE_FIELDS, line_data(None, total_gross="12"), "de")

    assert form.errors.keys() == {"order", "total_gross"}
    assert form.errors["total_gross"] == ["Brutto 12 ist nicht netto 10,00 plus Steuer 1,90."]


def test_document_gross_in_german():
    order = OrderFactory()

    form = bound_form(Document, DOCUMENT_FIELDS, document_data(order, amount_gross="24.8"), "de")

    assert form.errors.keys() == {"amount_gross"}
    assert form.errors["amount_gross"] == ["Brutto 24,80 EUR ist nicht netto 20,00 EUR plus Steuer 3,80 EUR."]


def test_document_gross_in_english():
    order = OrderFactory()

    form = bound_form(Document, DOCUMENT_FIELDS, document_data(order, amount_gross="24.8"), "en")

    assert form.errors["amount_gross"] == ["Gross 24.80 EUR is not net 20.00 EUR plus tax 3.80 EUR."]


def test_document_uses_own_currency():
    # The document's amounts are in its own currency, which the precision check uses as well.
    order = OrderFactory()

    data = document_data(order, currency="KWD", amount_net="20", amount_tax="3.8", amount_gross="24.8")
    form = bound_form(Document, DOCUMENT_FIELDS, data, "de")

    assert form.errors["amount_gross"] == ["Brutto 24,800 KWD ist nicht netto 20,000 KWD plus Steuer 3,800 KWD."]


def test_document_without_currency():
    order = OrderFactory()

    form = bound_form(Document, DOCUMENT_FIELDS, document_data(order, currency="", amount_gross="24.8"), "de")

    assert form.errors.keys() == {"currency", "amount_gross"}
    assert form.errors["currency"] == ["Beleg RE-1001 hat Beträge, aber keine Währung. Geben Sie die Währung an, etwa EUR."]
    assert form.errors["amount_gross"] == ["Brutto 24,8 ist nicht netto 20 plus Steuer 3,8."]


def test_matching_document_is_valid():
    order = OrderFactory()

    form = bound_form(Document, DOCUMENT_FIELDS, document_data(order), "de")

    assert form.errors == {}
