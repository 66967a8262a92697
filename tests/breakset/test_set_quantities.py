"""Quantities that the order line column cannot store: a validation error, never a database error."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalog.models import StockLevel
from orders.models import Order
from orders.services import LineInput, create_order, create_orders
from tests.orders.test_order_service import make_channel, make_product, order_input

pytestmark = pytest.mark.django_db


def line_of(quantity, unit_price):
    """Return a tax-free line of CAM-1 whose totals follow from its quantity and unit price."""
    total = Decimal(quantity) * Decimal(unit_price)
    return LineInput(
        sku="CAM-1", quantity=Decimal(quantity), unit_price=Decimal(unit_price),
        total_net=total, total_tax=Decimal(0), total_gross=total, tax_rate=Decimal(0),
    )


@pytest.mark.parametrize(
    ("quantity", "unit_price", "message"),
    [
        # Rounded to the column's three decimal places, 0.0004 is zero.
        ("0.0004", "0", "Quantity 0.000 of SKU CAM-1 must be greater than zero."),
        # The column stores at most 11 digits before the decimal point.
        ("123456789012", "1", "CAM-1: Ensure that there are no more than 11 digits before the decimal point."),
        ("1E+30", "0", "CAM-1: Ensure that there are no more than 14 digits in total."),
    ],
)
def test_unstorable_quantity_rejected(quantity, unit_price, message):
    channel = make_channel()
    make_product("CAM-1", on_hand=10)
    odd = order_input(channel, number="ODD", lines=[line_of(quantity, unit_price)])
    plain = order_input(channel, number="PLAIN")

    results = create_orders([odd, plain], actor="test")

    assert results[0] is None
    assert results[1].order.external_number == "PLAIN"
    with pytest.raises(ValidationError) as caught:
        create_order(odd, actor="test")
    assert caught.value.message_dict == {"lines[0].quantity": [message]}
    assert list(Order.objects.values_list("external_number", flat=True)) == ["PLAIN"]
    assert StockLevel.objects.get(product__sku="CAM-1").reserved == Decimal(1)


def test_fractional_quantity_still_rounded_and_accepted():
    channel = make_channel()
    make_product("CAM-1", on_hand=10)

    [result] = create_orders([order_input(channel, number="FRACTION", lines=[line_of("2.0005", "100")])], actor="test")

    assert result.order.lines.get().quantity == Decimal("2.001")
    assert StockLevel.objects.get(product__sku="CAM-1").reserved == Decimal("2.001")
