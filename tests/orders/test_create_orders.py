"""create_orders: many new orders with a fixed number of statements, the unusual ones left to create_order."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalog.models import StockLevel, StockReservation
from customers.models import Customer
from customers.services import BuyerInput
from orders.models import Order, OrderStatusChange
from orders.services import create_order, create_orders
from tests.orders.test_order_service import line, make_channel, make_product, order_input

pytestmark = pytest.mark.django_db

# The known numbers, the products, the orders, lines and history rows, the stock level lock,
# its update, the reservations and movements, and the subscriptions of stock and orders (none
# here). The same for any number of orders.
CREATE_ORDERS_STATEMENTS = 11

# Orders with buyers add the read of their known customers and the INSERT of the new ones.
# No connection, so no bindings and no leading-system rules.
BUYER_STATEMENTS = 2


@pytest.mark.parametrize("count", [2, 8])
def test_statement_count_fixed(django_assert_num_queries, count):
    channel = make_channel()
    make_product("CAM-1", on_hand=100)
    datas = [order_input(channel, number=f"N-{index}") for index in range(count)]

    with django_assert_num_queries(CREATE_ORDERS_STATEMENTS):
        results = create_orders(datas, actor="test")

    assert [result.order.external_number for result in results] == [f"N-{index}" for index in range(count)]
    assert StockLevel.objects.get(product__sku="CAM-1").reserved == Decimal(count)


@pytest.mark.parametrize("count", [2, 8])
def test_statement_count_fixed_with_buyers(django_assert_num_queries, count):
    channel = make_channel()
    make_product("CAM-1", on_hand=100)
    Customer.objects.create(email="known@example.com")
    buyers = [BuyerInput(email=f"buyer-{index % 2}@example.com" if index % 3 else "known@example.com") for index in range(count)]
    datas = [order_input(channel, number=f"N-{index}", buyer=buyer) for index, buyer in enumerate(buyers)]

    with django_assert_num_queries(CREATE_ORDERS_STATEMENTS + BUYER_STATEMENTS):
        results = create_orders(datas, actor="test")

    assert [result.order.customer.email for result in results] == [buyer.email for buyer in buyers]
    assert sorted(Customer.objects.values_list("email", flat=True)) == sorted({"known@example.com", *(buyer.email for buyer in buyers)})
    stored = dict(Order.objects.values_list("external_number", "customer__email"))
    assert stored == {f"N-{index}": buyer.email for index, buyer in enumerate(buyers)}


def test_unusual_orders_left_to_create_order():
    channel = make_channel()
    make_product("CAM-1", on_hand=10)
    known = create_order(order_input(channel, number="KNOWN"), actor="test").order
    datas = [
        order_input(channel, number="NEW-1"),
        order_input(channel, number="KNOWN"),
        order_input(channel, number="UNKNOWN-SKU", lines=[line("NOPE-1")]),
        order_input(channel, number="BAD-TOTAL", total_gross=Decimal("99.00")),
        order_input(channel, number="NEW-1"),
        order_input(channel, number="NEW-2", currency="USD"),
    ]

    results = create_orders(datas, actor="test")

    assert results[0].created is True
    assert results[0].order.external_number == "NEW-1"
    assert results[1:] == [None] * 5
    assert sorted(Order.objects.values_list("external_number", flat=True)) == ["KNOWN", "NEW-1"]
    # create_order gives each left-out order the result it gives alone.
    assert create_order(datas[1], actor="test").order == known
    assert create_order(datas[4], actor="test").order == results[0].order
    for data in (datas[2], datas[3], datas[5]):
        with pytest.raises(ValidationError):
            create_order(data, actor="test")


def test_later_order_gets_what_earlier_left():
    channel = make_channel()
    make_product("CAM-1", on_hand=3)
    make_product("CAM-2", on_hand=5)
    two_lines = [line("CAM-1", quantity="2", net="20.00", tax="3.80", gross="23.80"), line("CAM-1", quantity="2", net="20.00", tax="3.80", gross="23.80")]
    datas = [
        order_input(channel, number="FIRST", lines=[line("CAM-1", quantity="2", net="20.00", tax="3.80", gross="23.80")]),
        # Each line fits in the one CAM-1 unit left on its own; together they do not.
        order_input(channel, number="TWO-LINES", lines=[line("CAM-1"), line("CAM-1"), line("CAM-2")]),
        order_input(channel, number="SHORT", lines=two_lines),
        order_input(channel, number="LAST", lines=[line("CAM-1")]),
    ]

    results = create_orders(datas, actor="test")

    assert [result.shortages for result in results] == [
        [],
        [("CAM-1", Decimal(2), Decimal(1))],
        [("CAM-1", Decimal(4), Decimal(1))],
        [],
    ]
    assert [result.order.needs_attention for result in results] == [False, True, True, False]
    stored = dict(Order.objects.values_list("external_number", "needs_attention"))
    assert stored == {"FIRST": False, "TWO-LINES": True, "SHORT": True, "LAST": False}
    assert Order.objects.get(external_number="TWO-LINES").attention_note == (
        "Stock could not be reserved: CAM-1: 2 ordered, 1 available. Check stock or contact the customer."
    )
    assert sorted(StockReservation.objects.values_list("order_line__order__external_number", "product__sku", "quantity")) == [
        ("FIRST", "CAM-1", Decimal(2)),
        ("LAST", "CAM-1", Decimal(1)),
        ("TWO-LINES", "CAM-2", Decimal(1)),
    ]
    assert sorted(StockLevel.objects.values_list("product__sku", "on_hand", "reserved")) == [
        ("CAM-1", Decimal(3), Decimal(3)),
        ("CAM-2", Decimal(5), Decimal(1)),
    ]
    assert list(OrderStatusChange.objects.order_by("order__external_number").values_list("order__external_number", "to_status", "actor", "note")) == [
        ("FIRST", "new", "test", "Order received"),
        ("LAST", "new", "test", "Order received"),
        ("SHORT", "new", "test", "Order received"),
        ("TWO-LINES", "new", "test", "Order received"),
    ]
