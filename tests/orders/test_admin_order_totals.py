"""The order form reports a totals problem above the form instead of failing with a server error."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.forms.models import model_to_dict
from django.test import RequestFactory
from django.utils import translation

from orders.models import Order
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


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
        "Summe netto: Bestellsumme 20.0000 passt nicht zu Positionen und Versand, die zusammen 10.0000 ergeben. "
        "Prüfen Sie die Bestellung im Quellsystem."
    )


def test_matching_totals_pass():
    form = order_form(OrderFactory())

    assert form.is_valid(), form.errors
