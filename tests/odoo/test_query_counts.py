"""Database statements per order batch and per stock page: a fixed number, not one set per item.

The counts leave out the statements of the in-process Odoo sandbox (see tests/odoo/queries.py).
Each test pins the statements of a batch of 1 and of 20 items: the two must be equal, and not
above the pinned ceiling, so a change that adds statements per item or per batch fails here.
"""

import pytest

from catalog.models import Product, StockReservation, Warehouse
from catalog.services import stock
from integrations.models import OutboundMessage
from integrations.odoo import push
from orders.models import Order, OrderStatus, OrderStatusChange
from tests.odoo.conftest import make_odoo_connection
from tests.odoo.helpers import (
    install_recording_shop,
    line,
    make_pair,
    make_product,
    place_order,
    sale_orders,
)
from tests.odoo.queries import kontor_queries

pytestmark = pytest.mark.django_db

SKUS = [f"QC-{number}" for number in range(5)]

# Statements of one deliver_orders call once the connection's lookups are cached and its
# products bound, whatever the number of orders.
ORDER_BATCH_STATEMENTS = 33


def deliver_batch(size):
    install_recording_shop()
    erp = make_odoo_connection()
    channel, shop = make_pair(erp)
    for sku in SKUS:
        make_product(sku, on_hand=0, odoo_quantity=100)
        stock.record_on_hand(Product.objects.get(sku=sku), Warehouse.objects.get(code="wh"), 100)
    # A first order binds the products and fills the per-process lookups (taxes, pricelist).
    warm = place_order(channel, shop, "WARM-1", [line(sku) for sku in SKUS], email="warm@example.com")
    push.deliver_orders(erp, list(OutboundMessage.objects.filter(entity="orders", object_id=str(warm.pk))))
    orders = [
        place_order(channel, shop, f"QC{number:04d}", [line(SKUS[number % 5]), line(SKUS[(number + 1) % 5])], email=f"qc{number}@example.com")
        for number in range(size)
    ]
    messages = list(OutboundMessage.objects.filter(entity="orders", object_id__in=[str(order.pk) for order in orders]))

    with kontor_queries() as statements:
        results = push.deliver_orders(erp, messages)
    return orders, results, len(statements)


@pytest.mark.parametrize("size", [1, 20])
def test_order_batch_statements_fixed(sandbox, size):
    orders, results, statements = deliver_batch(size)

    assert statements == ORDER_BATCH_STATEMENTS
    # The bulk statements did the work of the per-order ones.
    assert sorted(results.values()) == sorted(str(sale_orders(order.external_number)[0]["id"]) for order in orders)
    assert set(Order.objects.filter(pk__in=[order.pk for order in orders]).values_list("status", flat=True)) == {OrderStatus.CONFIRMED}
    changes = OrderStatusChange.objects.filter(order__in=orders, to_status=OrderStatus.CONFIRMED, applied=True)
    assert sorted(changes.values_list("order_id", flat=True)) == sorted(order.pk for order in orders)
    assert not StockReservation.objects.filter(order_line__order__in=orders, state="open").exists()
