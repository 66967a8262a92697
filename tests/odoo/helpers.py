"""Builders shared by the Odoo tests: a catalog with stock, a shop connection and shop orders."""

from datetime import UTC, datetime
from decimal import Decimal

from catalog.models import Channel, Product, Warehouse
from catalog.services import stock
from integrations.domains import Domain
from integrations.models import Connection, OutboundMessage
from integrations.odoo.routes import set_up_shop_and_erp
from integrations.registry import Connector, register, unregister
from integrations.sandbox.odoo import records, seed
from integrations.services.bindings import bind
from orders.services import AddressInput, LineInput, OrderInput, create_order
from tests.odoo.conftest import make_odoo_connection


class RecordingShop(Connector):
    """A shop connector for tests that keeps every stock figure it was sent, per SKU."""

    kind = "recording-shop"
    writes = frozenset({Domain.STOCK, Domain.PRICES, Domain.PRODUCTS})
    reads = frozenset({Domain.ORDERS})
    shown = {}

    def deliver(self, message):
        channel = message.payload["channels"].get("shop-de", message.payload["available"])
        self.shown.setdefault(message.payload["sku"], []).append(Decimal(channel))
        return message.payload["sku"]


def install_recording_shop():
    unregister(RecordingShop.kind)
    RecordingShop.shown = {}
    register(RecordingShop)
    return RecordingShop


def make_pair(erp, *, channel_code="shop-de", shop_slug="shop"):
    channel, _ = Channel.objects.get_or_create(code=channel_code, defaults={"name": channel_code, "currencies": ["EUR"]})
    shop = Connection.objects.create(kind=RecordingShop.kind, name=f"Shop {channel_code}", slug=shop_slug, base_url="http://shop.invalid")
    bind(shop, channel, channel_code)
    set_up_shop_and_erp(shop, erp)
    return channel, shop


def make_product(sku, on_hand=10, odoo_quantity=None, warehouse_code="wh"):
    product = Product.objects.create(sku=sku)
    warehouse, _ = Warehouse.objects.get_or_create(code=warehouse_code, defaults={"name": warehouse_code})
    if on_hand:
        stock.record_on_hand(product, warehouse, on_hand)
    seed.add_product(sku, f"Product {sku}", quantity=on_hand if odoo_quantity is None else odoo_quantity)
    return product


def make_erp_and_shop(sku="CAM-1", quantity=100):
    """Create an Odoo connection, a recording shop paired with it, and `sku` with `quantity` in stock in both."""
    install_recording_shop()
    erp = make_odoo_connection()
    channel, shop = make_pair(erp)
    make_product(sku, on_hand=0, odoo_quantity=quantity)
    stock.record_on_hand(Product.objects.get(sku=sku), Warehouse.objects.get(code="wh"), quantity)
    return erp, channel, shop


def line(sku, quantity=1, gross="11.90", net="10.00", tax="1.90", rate="19"):
    return LineInput(
        sku=sku, quantity=Decimal(quantity), unit_price=Decimal(gross) / Decimal(quantity),
        total_net=Decimal(net), total_tax=Decimal(tax), total_gross=Decimal(gross), tax_rate=Decimal(rate), name=f"Item {sku}",
    )


def place_order(channel, shop, number, lines, *, shipping=("0", "0", "0"), email="buyer@example.com", shipping_address=None):
    """Create a shop order as the shop connector does; create_order also queues availability and the ERP message."""
    net, tax, gross = (Decimal(value) for value in shipping)
    billing = AddressInput(street="Hauptstr. 1", city="Berlin", country="DE", postal_code="10115", first_name="Ada", last_name="Buyer")
    data = OrderInput(
        channel=channel, external_number=number, currency="EUR", placed_at=datetime(2026, 11, 27, 10, 0, tzinfo=UTC),
        lines=lines, email=email, connection=shop, billing_address=billing, shipping_address=shipping_address or billing,
        total_net=sum((item.total_net for item in lines), net), total_tax=sum((item.total_tax for item in lines), tax),
        total_gross=sum((item.total_gross for item in lines), gross), shipping_net=net, shipping_tax=tax, shipping_gross=gross,
    )
    return create_order(data, actor="test shop").order


def order_message(order, erp):
    return OutboundMessage.objects.get(connection=erp, entity=Domain.ORDERS, object_id=str(order.pk))


def sale_orders(reference):
    """Return the sandbox Odoo's sale orders with this client reference, oldest first."""
    return records.search("sale.order", [["client_order_ref", "=", reference]], order="id asc")
