"""Stock changes lock only the stock levels they change, so changes of other products run at once."""

import threading
from decimal import Decimal

import pytest
from django.db import OperationalError, transaction
from django.db import connection as db_connection

from catalog.models import Channel, Product, StockLevel, StockMovement, StockReservation, Warehouse
from catalog.models.stock import MovementReason, ReleaseReason, ReservationState
from catalog.services import stock
from orders.models import Order, OrderLine

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def make_order(number, products_and_quantities):
    channel, _created = Channel.objects.get_or_create(code="shop-de", defaults={"name": "Shop DE", "currencies": ["EUR"]})
    order = Order.objects.create(
        channel=channel, external_number=number, currency="EUR", placed_at="2026-12-01T10:00:00Z",
        total_net=Decimal(0), total_tax=Decimal(0), total_gross=Decimal(0),
    )
    for position, (product, quantity) in enumerate(products_and_quantities, start=1):
        OrderLine.objects.create(
            order=order, position=position, product=product, sku=product.sku, quantity=Decimal(quantity),
            unit_price=Decimal(0), total_net=Decimal(0), total_tax=Decimal(0), total_gross=Decimal(0),
        )
    return order


def make_product(sku, warehouse, on_hand=10):
    product = Product.objects.create(sku=sku)
    stock.record_on_hand(product, warehouse, on_hand)
    return product


def in_other_connection(work):
    """Run `work()` in a thread with its own database connection and a 2 s lock timeout.

    Returns "done", or "blocked" when it had to wait for a lock longer than that.
    """
    outcome = {}

    def run():
        try:
            with transaction.atomic():
                with db_connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '2s'")
                work()
            outcome["result"] = "done"
        except OperationalError:
            outcome["result"] = "blocked"
        finally:
            db_connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    return outcome["result"]


def test_reservation_leaves_warehouse_unlocked():
    warehouse = Warehouse.objects.create(code="main", name="Main")
    camera = make_product("CAM-1", warehouse)
    order = make_order("1001", [(camera, "2")])

    with transaction.atomic():
        stock.reserve_order(order)
        warehouse_lock = in_other_connection(lambda: Warehouse.objects.select_for_update(nowait=True).filter(pk=warehouse.pk).exists())

    assert warehouse_lock == "done"


def test_other_product_changes_during_open_reservation():
    warehouse = Warehouse.objects.create(code="main", name="Main")
    camera = make_product("CAM-1", warehouse)
    lens = make_product("LENS-1", warehouse)
    order = make_order("1001", [(camera, "2")])

    with transaction.atomic():
        stock.reserve_order(order)
        lens_change = in_other_connection(lambda: stock.record_on_hand(lens, warehouse, 7))
        camera_change = in_other_connection(lambda: stock.record_on_hand(camera, warehouse, 8))

    assert lens_change == "done"
    assert camera_change == "blocked"
    assert StockLevel.objects.get(product=lens).on_hand == Decimal(7)
    assert StockLevel.objects.get(product=camera).on_hand == Decimal(10)
    assert StockLevel.objects.get(product=camera).reserved == Decimal(2)


def test_release_orders_frees_every_reservation():
    first_warehouse = Warehouse.objects.create(code="a", name="A")
    second_warehouse = Warehouse.objects.create(code="b", name="B")
    camera = make_product("CAM-1", first_warehouse, on_hand=3)
    stock.record_on_hand(camera, second_warehouse, 5)
    lens = make_product("LENS-1", first_warehouse, on_hand=4)
    first = make_order("1001", [(camera, "6"), (lens, "1")])
    second = make_order("1002", [(lens, "2")])
    stock.reserve_order(first)
    stock.reserve_order(second)

    released = stock.release_orders([first, second], ReleaseReason.ERP_HOLDS_STOCK)
    released_again = stock.release_orders([first, second], ReleaseReason.ERP_HOLDS_STOCK)

    assert released == 4
    assert released_again == 0
    assert sorted(StockLevel.objects.values_list("product__sku", "warehouse__code", "reserved")) == [
        ("CAM-1", "a", Decimal(0)), ("CAM-1", "b", Decimal(0)), ("LENS-1", "a", Decimal(0)),
    ]
    assert set(StockReservation.objects.values_list("state", "release_reason")) == {(ReservationState.RELEASED, "erp_holds_stock")}
    releases = StockMovement.objects.filter(reason=MovementReason.RELEASE)
    assert sorted(releases.values_list("reference", "reserved_delta")) == [
        ("shop-de/1001: erp_holds_stock", Decimal(-5)),
        ("shop-de/1001: erp_holds_stock", Decimal(-1)),
        ("shop-de/1001: erp_holds_stock", Decimal(-1)),
        ("shop-de/1002: erp_holds_stock", Decimal(-2)),
    ]
