"""Statement count of create_order, and the line quantities it reserves from memory."""

from decimal import Decimal

import pytest

from catalog.models import StockLevel, StockReservation
from orders.models import OrderLine
from orders.services import AddressInput, create_order
from tests.orders.test_order_service import line, make_channel, make_product, order_input

pytestmark = pytest.mark.django_db

# The duplicate check, the products, the order's savepoint and its release, the order with
# lines, addresses and first history row, and the reservation (lock, update, reservations,
# movements). No connection subscribes to stock or orders here, so the outbox reads only the
# subscriptions of each.
CREATE_ORDER_STATEMENTS = 14


def test_two_line_order_statement_count(django_assert_num_queries):
    channel = make_channel()
    make_product("CAM-1", on_hand=5)
    make_product("CAM-2", on_hand=5)
    address = AddressInput(street="Hauptstr. 1", city="Berlin", country="DE", postal_code="10115")
    data = order_input(
        channel, lines=[line("CAM-1"), line("CAM-2", quantity="2", net="20.00", tax="3.80", gross="23.80")],
        billing_address=address, shipping_address=address,
    )

    with django_assert_num_queries(CREATE_ORDER_STATEMENTS):
        result = create_order(data, actor="test")

    assert result.created is True
    assert result.order.addresses.count() == 2
    assert sorted(StockLevel.objects.values_list("product__sku", "reserved")) == [("CAM-1", Decimal(1)), ("CAM-2", Decimal(2))]


def test_reservation_uses_stored_quantity():
    channel = make_channel()
    make_product("CAM-1", on_hand=5)

    result = create_order(order_input(channel, lines=[line("CAM-1", quantity="1.0005")]), actor="test")

    assert OrderLine.objects.get(order=result.order).quantity == Decimal("1.001")
    assert StockReservation.objects.get().quantity == Decimal("1.001")
    assert StockLevel.objects.get().reserved == Decimal("1.001")
