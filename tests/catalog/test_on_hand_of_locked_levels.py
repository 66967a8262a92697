"""On-hand figures applied to many locked stock levels at once, by record_on_hand's rules."""

from decimal import Decimal

import pytest
from django.db import transaction

from catalog.models import Product, StockLevel, StockMovement, Warehouse
from catalog.models.stock import MovementReason
from catalog.services import stock

pytestmark = pytest.mark.django_db


def test_figures_change_levels_and_write_movements():
    # Given three products in stock, one of them with 4 units reserved
    warehouse = Warehouse.objects.create(code="main", name="Main")
    products = [Product.objects.create(sku=sku) for sku in ("CAM-1", "LENS-1", "BAG-1")]
    for product in products:
        stock.record_on_hand(product, warehouse, 10)
    StockLevel.objects.filter(product=products[1]).update(reserved=4)

    # When new figures for all three are applied, one of them unchanged and one negative
    with transaction.atomic():
        levels = {level.product_id: level for level in stock.lock_stock_levels([product.pk for product in products])}
        changed = stock.record_on_hand_of_locked_levels(
            [(levels[products[0].pk], Decimal(7)), (levels[products[1].pk], Decimal(-2)), (levels[products[2].pk], Decimal(10))],
            reference="odoo test",
        )

    # Then the changed levels have the new on-hand, the reservation is capped at it, and each change is a movement
    assert changed == {products[0].pk, products[1].pk}
    assert sorted(StockLevel.objects.values_list("product__sku", "on_hand", "reserved")) == [
        ("BAG-1", Decimal(10), Decimal(0)), ("CAM-1", Decimal(7), Decimal(0)), ("LENS-1", Decimal(0), Decimal(0)),
    ]
    movements = StockMovement.objects.filter(reference="odoo test")
    assert sorted(movements.values_list("product__sku", "on_hand_delta", "reason")) == [
        ("CAM-1", Decimal(-3), MovementReason.SYNC), ("LENS-1", Decimal(-10), MovementReason.SYNC),
    ]
