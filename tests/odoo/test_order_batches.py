"""Orders sent to Odoo many at a time by the batch delivery: few calls, each order exactly once."""

from decimal import Decimal

import pytest

from catalog.models import Product, StockReservation, Warehouse
from catalog.services import stock
from integrations.models import OutboundMessage, OutboundState, SyncError
from integrations.odoo.client import OdooClient
from integrations.sandbox.odoo import seed
from integrations.services.batches import deliver_due_messages
from orders.models import Order, OrderStatus
from tests.odoo.conftest import make_odoo_connection
from tests.odoo.helpers import (
    install_recording_shop,
    line,
    make_pair,
    make_product,
    order_message,
    place_order,
    sale_orders,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def recording_shop():
    return install_recording_shop()


@pytest.fixture
def odoo_calls(monkeypatch):
    calls = []
    original = OdooClient.call

    def counting(self, model, method, ids=None, **params):
        calls.append((model, method))
        return original(self, model, method, ids, **params)

    monkeypatch.setattr(OdooClient, "call", counting)
    return calls


def place(channel, shop, numbers, email=None):
    return [
        place_order(channel, shop, number, [line("CAM-1", 2, gross="23.80", net="20.00", tax="3.80")], email=email or f"{number}@example.com")
        for number in numbers
    ]


def test_batch_sends_orders_in_few_calls(sandbox, recording_shop, odoo_calls):
    erp = make_odoo_connection()
    channel, shop = make_pair(erp)
    make_product("CAM-1", on_hand=0, odoo_quantity=20)
    # Odoo already has the first buyer; the other two are new partners.
    OdooClient(erp).create("res.partner", {"name": "Known", "email": "40001@example.com"})
    stock.record_on_hand(Product.objects.get(sku="CAM-1"), Warehouse.objects.get(code="wh"), 20)
    orders = place(channel, shop, ["40001", "40002", "40003"])
    odoo_calls.clear()

    counts = deliver_due_messages("hot")

    assert counts["delivered"] >= 3
    assert [len(sale_orders(order.external_number)) for order in orders] == [1, 1, 1]
    assert {sale_orders(order.external_number)[0]["state"] for order in orders} == {"sale"}
    writes = [call for call in odoo_calls if call[1] in ("create", "action_confirm", "unlink")]
    assert writes == [("res.partner", "create"), ("sale.order", "create"), ("sale.order", "action_confirm")]
    assert odoo_calls.count(("stock.quant", "search_read")) == 1
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.CONFIRMED}
    assert set(StockReservation.objects.values_list("state", flat=True)) == {"released"}
    partner_ids = {str(sale_orders(order.external_number)[0]["partner_id"]) for order in orders}
    assert len(partner_ids) == 3
    messages = OutboundMessage.objects.filter(entity="orders")
    assert {message.remote_id for message in messages} == {str(sale_orders(order.external_number)[0]["id"]) for order in orders}


def test_retried_batch_finds_what_an_earlier_attempt_created(sandbox, recording_shop):
    erp = make_odoo_connection()
    channel, shop = make_pair(erp)
    make_product("CAM-1", on_hand=20)
    first, second = place(channel, shop, ["40011", "40012"])
    # An earlier attempt created the first order's sale order, then its response was lost.
    product_id = seed.product_by_sku("CAM-1")["id"]
    client = OdooClient(erp)
    partner_id = client.create("res.partner", {"name": "Earlier attempt", "email": "40011@example.com"})
    earlier = client.create("sale.order", {"partner_id": partner_id, "client_order_ref": "40011", "order_line": [[0, 0, {"product_id": product_id, "product_uom_qty": 2, "price_unit": 11.9}]]})
    OutboundMessage.objects.filter(entity="orders").update(attempts=1)

    deliver_due_messages("hot")

    assert [row["id"] for row in sale_orders("40011")] == [earlier]
    assert sale_orders("40011")[0]["state"] == "sale"
    assert len(sale_orders("40012")) == 1
    assert order_message(first, erp).state == OutboundState.DELIVERED
    assert order_message(second, erp).remote_id == str(sale_orders("40012")[0]["id"])


def test_first_attempt_deletes_own_duplicate(sandbox, recording_shop):
    erp = make_odoo_connection()
    channel, shop = make_pair(erp)
    make_product("CAM-1", on_hand=20)
    (order,) = place(channel, shop, ["40021"])
    # Another message for the same order (a retry from the admin) created and confirmed it already.
    product_id = seed.product_by_sku("CAM-1")["id"]
    client = OdooClient(erp)
    partner_id = client.create("res.partner", {"name": "Other", "email": "other@example.com"})
    other = client.create("sale.order", {"partner_id": partner_id, "client_order_ref": "40021", "order_line": [[0, 0, {"product_id": product_id, "product_uom_qty": 2, "price_unit": 11.9}]]})
    client.call("sale.order", "action_confirm", ids=[other])

    deliver_due_messages("hot")

    active = [row for row in sale_orders("40021") if row["state"] != "cancel"]
    assert [row["id"] for row in active] == [other]
    assert order_message(order, erp).remote_id == str(other)


def test_order_with_unknown_product_fails_alone(sandbox, recording_shop):
    erp = make_odoo_connection()
    channel, shop = make_pair(erp)
    make_product("CAM-1", on_hand=20)
    missing = Product.objects.create(sku="NOT-IN-ODOO")
    stock.record_on_hand(missing, Warehouse.objects.get(code="wh"), 3)
    good = place(channel, shop, ["40031"])[0]
    bad = place_order(channel, shop, "40032", [line("CAM-1"), line("NOT-IN-ODOO")])

    counts = deliver_due_messages("hot")

    assert counts["failed"] == 1
    assert len(sale_orders("40031")) == 1
    assert sale_orders("40032") == []
    assert order_message(good, erp).state == OutboundState.DELIVERED
    assert order_message(bad, erp).state == OutboundState.FAILED
    error = SyncError.objects.get()
    assert error.code == "odoo_product_missing"
    assert "NOT-IN-ODOO" in error.message
    assert Decimal(str(sale_orders("40031")[0]["amount_total"])) == good.total_gross


def test_shipping_product_looked_up_once(sandbox, recording_shop, odoo_calls):
    # Given a first order with shipping, sent already
    erp = make_odoo_connection()
    channel, shop = make_pair(erp)
    make_product("CAM-1", on_hand=0, odoo_quantity=20)
    stock.record_on_hand(Product.objects.get(sku="CAM-1"), Warehouse.objects.get(code="wh"), 20)
    shipped = [line("CAM-1", 1, gross="11.90", net="10.00", tax="1.90")]
    place_order(channel, shop, "50001", shipped, shipping=("4.12", "0.78", "4.90"))
    deliver_due_messages("hot")
    odoo_calls.clear()

    # When a second order with shipping is sent
    later = place_order(channel, shop, "50002", shipped, shipping=("4.12", "0.78", "4.90"))
    deliver_due_messages("hot")

    # Then the second batch did not look for Odoo's shipping product again, and its order has the line
    assert odoo_calls.count(("product.product", "search_read")) == 0
    assert odoo_calls.count(("product.product", "create")) == 0
    sale_order = sale_orders(later.external_number)[0]
    codes = {seed_line["product_id"] for seed_line in seed.sale_order_by_ref(later.external_number)["_lines"]}
    assert seed.product_by_sku("KONTOR-SHIPPING")["id"] in codes
    assert sale_order["state"] == "sale"
