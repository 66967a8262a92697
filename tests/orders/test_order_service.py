import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from catalog.models import Channel, Product, StockLevel, StockReservation, Warehouse
from catalog.services import stock
from orders.models import Order, OrderLine, OrderStatus, OrderStatusChange
from orders.services import InvalidTransition, LineInput, OrderInput, create_order, transition_order

pytestmark = pytest.mark.django_db


def make_channel(currencies=("EUR",)):
    return Channel.objects.create(code="shop-de", name="Shop DE", currencies=list(currencies))


def make_product(sku="CAM-1", on_hand=5):
    product = Product.objects.create(sku=sku)
    warehouse, _ = Warehouse.objects.get_or_create(code="main", defaults={"name": "Main"})
    stock.record_on_hand(product, warehouse, on_hand)
    return product


def line(sku="CAM-1", quantity="1", net="10.00", tax="1.90", gross="11.90"):
    return LineInput(
        sku=sku,
        quantity=Decimal(quantity),
        unit_price=Decimal(gross) / Decimal(quantity),
        total_net=Decimal(net),
        total_tax=Decimal(tax),
        total_gross=Decimal(gross),
        tax_rate=Decimal("19"),
    )


def order_input(channel, number="1001", lines=None, **overrides):
    lines = lines or [line()]
    values = {
        "channel": channel,
        "external_number": number,
        "currency": "EUR",
        "placed_at": datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
        "lines": lines,
        "total_net": sum((item.total_net for item in lines), Decimal(0)),
        "total_tax": sum((item.total_tax for item in lines), Decimal(0)),
        "total_gross": sum((item.total_gross for item in lines), Decimal(0)),
    }
    values.update(overrides)
    return OrderInput(**values)


def test_create_order_writes_lines_history_and_reservation():
    channel = make_channel()
    product = make_product(on_hand=5)

    result = create_order(order_input(channel, lines=[line(quantity="2", net="20.00", tax="3.80", gross="23.80")]), actor="test")

    assert result.created is True
    assert result.shortages == []
    order = result.order
    assert order.lines.count() == 1
    assert order.status == OrderStatus.NEW
    assert list(order.status_history.values_list("from_status", "to_status")) == [("", "new")]
    level = StockLevel.objects.get(product=product)
    assert level.reserved == Decimal("2")
    assert stock.available_for_channel(product, channel) == Decimal("3")


def test_create_order_twice_returns_existing():
    channel = make_channel()
    make_product()

    first = create_order(order_input(channel), actor="test")
    second = create_order(order_input(channel), actor="test")

    assert second.created is False
    assert second.order.pk == first.order.pk
    assert Order.objects.count() == 1
    assert StockReservation.objects.count() == 1


def test_totals_mismatch_rejected_and_nothing_written():
    channel = make_channel()
    make_product()

    with pytest.raises(ValidationError) as caught:
        create_order(order_input(channel, total_gross=Decimal("12.00")), actor="test")

    assert "total_gross" in caught.value.message_dict
    assert "11.90" in caught.value.message_dict["total_gross"][0]
    assert Order.objects.count() == 0
    assert OrderLine.objects.count() == 0


def test_unknown_sku_and_currency_named_in_error():
    channel = make_channel()

    with pytest.raises(ValidationError) as caught:
        create_order(order_input(channel, lines=[line(sku="NOPE")], currency="USD"), actor="test")

    errors = caught.value.message_dict
    assert "NOPE" in errors["lines[0].sku"][0]
    assert "USD" in errors["currency"][0]
    assert Order.objects.count() == 0


def test_per_order_rounding_accepts_unrounded_lines():
    channel = make_channel()
    make_product("A")
    make_product("B")
    lines = [
        line("A", net="8.4034", tax="1.5966", gross="10.0000"),
        line("B", net="8.4034", tax="1.5966", gross="10.0000"),
    ]

    result = create_order(
        order_input(channel, lines=lines, rounding_rule="order", total_net=Decimal("16.81"), total_tax=Decimal("3.19"), total_gross=Decimal("20.00")),
        actor="test",
    )

    assert result.order.total_gross == Decimal("20.00")


def test_two_lines_same_sku_checked_together():
    channel = make_channel()
    product = make_product(on_hand=3)
    lines = [line(quantity="2", net="20.00", tax="3.80", gross="23.80"), line(quantity="2", net="20.00", tax="3.80", gross="23.80")]

    result = create_order(order_input(channel, lines=lines), actor="test")

    assert result.shortages == [("CAM-1", Decimal("4"), Decimal("3"))]
    assert result.order.needs_attention is True
    assert "CAM-1: 4 ordered, 3 available" in result.order.attention_note
    assert StockLevel.objects.get(product=product).reserved == Decimal("0")


def test_cancel_releases_reservation():
    channel = make_channel()
    product = make_product(on_hand=2)
    order = create_order(order_input(channel), actor="test").order

    transition_order(order.pk, OrderStatus.CANCELLED, actor="merchant")

    assert StockLevel.objects.get(product=product).reserved == Decimal("0")
    assert StockReservation.objects.get().state == "released"


def test_backwards_transition_recorded_not_applied():
    channel = make_channel()
    make_product()
    order = create_order(order_input(channel), actor="test").order
    transition_order(order.pk, OrderStatus.SHIPPED, actor="carrier")

    change = transition_order(order.pk, OrderStatus.CONFIRMED, actor="erp")

    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert change.applied is False
    assert OrderStatusChange.objects.filter(order=order, applied=True).count() == 2


def test_disallowed_transition_raises():
    channel = make_channel()
    make_product()
    order = create_order(order_input(channel), actor="test").order
    transition_order(order.pk, OrderStatus.CANCELLED, actor="merchant")

    with pytest.raises(InvalidTransition):
        transition_order(order.pk, OrderStatus.SHIPPED, actor="carrier")


def test_same_transition_twice_writes_one_row():
    channel = make_channel()
    make_product()
    order = create_order(order_input(channel), actor="test").order

    first = transition_order(order.pk, OrderStatus.CONFIRMED, actor="erp")
    second = transition_order(order.pk, OrderStatus.CONFIRMED, actor="erp")

    assert first is not None
    assert second is None
    assert OrderStatusChange.objects.filter(order=order, to_status="confirmed").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_last_unit_goes_to_one_of_two_concurrent_orders():
    channel = make_channel()
    other = Channel.objects.create(code="market", name="Marketplace", currencies=["EUR"])
    product = make_product(on_hand=1)
    barrier = threading.Barrier(2)
    results = []

    def place(target_channel, number):
        try:
            barrier.wait()
            results.append(create_order(order_input(target_channel, number=number), actor="test"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=place, args=(channel, "A-1")), threading.Thread(target=place, args=(other, "B-1"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert connection.vendor == "postgresql"
    assert len(results) == 2
    assert sorted(bool(result.shortages) for result in results) == [False, True]
    level = StockLevel.objects.get(product=product)
    assert level.reserved == Decimal("1")
    assert level.on_hand == Decimal("1")
    assert Order.objects.filter(needs_attention=True).count() == 1
