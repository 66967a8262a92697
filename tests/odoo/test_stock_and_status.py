import threading
from decimal import Decimal

import pytest
from django.db import connections

from catalog.models import Product, StockLevel, StockReservation, Warehouse
from catalog.services.availability import publish_availability
from integrations.domains import Domain
from integrations.models import InboundEvent, OutboundMessage, OutboundState
from integrations.odoo.tasks import poll_once
from integrations.sandbox.odoo import seed
from integrations.services.delivery import deliver_message
from integrations.services.inbox import process_inbound_event
from orders.models import Document, DocumentKind, Order, OrderStatus
from tests.odoo.conftest import make_odoo_connection
from tests.odoo.helpers import (
    install_recording_shop,
    line,
    make_pair,
    make_product,
    order_message,
    place_order,
)

pytestmark = pytest.mark.django_db


def settle(erp):
    """Poll Odoo, process the new events and deliver every due message, until nothing is left."""
    for _round in range(10):
        poll_once(erp.pk)
        pending_events = list(InboundEvent.objects.filter(state="pending").order_by("pk").values_list("pk", flat=True))
        for event_id in pending_events:
            process_inbound_event(event_id)
        pending_messages = list(OutboundMessage.objects.filter(state=OutboundState.PENDING).order_by("pk").values_list("pk", flat=True))
        for message_id in pending_messages:
            deliver_message(message_id)
        if not pending_events and not pending_messages:
            return
    raise AssertionError("the system did not settle within 10 rounds")


@pytest.fixture
def shop():
    return install_recording_shop()


def odoo_warehouse_of(erp):
    return Warehouse.objects.get(code=f"{erp.slug}-wh")


def test_stock_pull_records_ledger_and_pushes_to_shop(sandbox, shop):
    erp = make_odoo_connection()
    make_pair(erp)
    make_product("CAM-1", on_hand=0, odoo_quantity=7)

    settle(erp)

    level = StockLevel.objects.get(product__sku="CAM-1", warehouse=odoo_warehouse_of(erp))
    assert level.on_hand == Decimal("7")
    assert shop.shown["CAM-1"][-1] == Decimal("7")


def test_stock_per_warehouse(sandbox, shop):
    erp = make_odoo_connection()
    make_pair(erp)
    make_product("CAM-1", on_hand=0, odoo_quantity=4)
    seed.add_warehouse("WH2", "Second warehouse")
    seed.set_stock("CAM-1", 6, "WH2")

    settle(erp)

    levels = dict(StockLevel.objects.filter(product__sku="CAM-1").exclude(warehouse__code="wh").values_list("warehouse__code", "on_hand"))
    assert levels == {"odoo-wh": Decimal("4"), "odoo-wh2": Decimal("6")}
    assert shop.shown["CAM-1"][-1] == Decimal("10")


def test_erp_stock_change_reaches_shop(sandbox, shop):
    erp = make_odoo_connection()
    make_pair(erp)
    make_product("CAM-1", on_hand=0, odoo_quantity=7)
    settle(erp)

    seed.set_stock("CAM-1", 2)
    settle(erp)

    assert shop.shown["CAM-1"][-1] == Decimal("2")
    assert StockLevel.objects.get(product__sku="CAM-1", warehouse=odoo_warehouse_of(erp)).on_hand == Decimal("2")


def test_order_reserves_then_erp_confirmation_releases(sandbox, shop):
    erp = make_odoo_connection()
    channel, shop_connection = make_pair(erp)
    make_product("CAM-1", on_hand=0, odoo_quantity=5)
    settle(erp)

    order = place_order(channel, shop_connection, "30001", [line("CAM-1", 2, gross="23.80", net="20.00", tax="3.80")])
    for message in OutboundMessage.objects.filter(entity="stock", state=OutboundState.PENDING):
        deliver_message(message.pk)
    shown_before_erp = shop.shown["CAM-1"][-1]
    deliver_message(order_message(order, erp).pk)
    settle(erp)

    order.refresh_from_db()
    assert shown_before_erp == Decimal("3")
    assert order.status == OrderStatus.CONFIRMED
    assert StockReservation.objects.get(order_line__order=order).state == "released"
    level = StockLevel.objects.get(product__sku="CAM-1", warehouse=odoo_warehouse_of(erp))
    assert (level.on_hand, level.reserved) == (Decimal("3"), Decimal("0"))
    assert shop.shown["CAM-1"][-1] == Decimal("3")
    assert min(shop.shown["CAM-1"][1:]) == Decimal("3")


def test_delivery_invoice_and_credit_note_become_documents(sandbox, shop):
    erp = make_odoo_connection()
    channel, shop_connection = make_pair(erp)
    make_product("CAM-1", on_hand=0, odoo_quantity=5)
    settle(erp)
    order = place_order(channel, shop_connection, "30002", [line("CAM-1")])
    deliver_message(order_message(order, erp).pk)
    settle(erp)

    from integrations.sandbox.odoo.views import run_control_action

    run_control_action({"action": "deliver", "sale_order": "30002"})
    run_control_action({"action": "invoice", "sale_order": "30002"})
    run_control_action({"action": "refund", "sale_order": "30002"})
    settle(erp)

    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    documents = {document.kind: document for document in Document.objects.filter(order=order)}
    assert sorted(documents) == [DocumentKind.CREDIT_NOTE, DocumentKind.DELIVERY_NOTE, DocumentKind.INVOICE]
    invoice = documents[DocumentKind.INVOICE]
    assert invoice.number.startswith("INV/")
    assert invoice.number.endswith("/00001")
    assert (invoice.amount_net, invoice.amount_tax, invoice.amount_gross) == (Decimal("10.00"), Decimal("1.90"), Decimal("11.90"))
    assert invoice.file.read(5) == b"%PDF-"
    assert documents[DocumentKind.CREDIT_NOTE].number.startswith("RINV/")
    assert documents[DocumentKind.DELIVERY_NOTE].number.startswith("WH/OUT/")
    assert StockLevel.objects.get(product__sku="CAM-1", warehouse=odoo_warehouse_of(erp)).on_hand == Decimal("4")


def test_odoo_cancel_cancels_order_and_frees_stock(sandbox, shop):
    erp = make_odoo_connection(confirm_orders="false")
    channel, shop_connection = make_pair(erp)
    make_product("CAM-1", on_hand=0, odoo_quantity=5)
    settle(erp)
    order = place_order(channel, shop_connection, "30003", [line("CAM-1", 2, gross="23.80", net="20.00", tax="3.80")])
    deliver_message(order_message(order, erp).pk)
    settle(erp)

    from integrations.sandbox.odoo.views import run_control_action

    run_control_action({"action": "cancel", "sale_order": "30003"})
    settle(erp)

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert shop.shown["CAM-1"][-1] == Decimal("5")


def test_erp_status_not_led_becomes_conflict(sandbox, shop):
    erp = make_odoo_connection()
    channel, shop_connection = make_pair(erp)
    from integrations.models import Conflict, LeadingSystemRule

    LeadingSystemRule.objects.filter(domain="orders", field_group="status").update(connection=shop_connection)
    make_product("CAM-1", on_hand=0, odoo_quantity=5)
    settle(erp)
    order = place_order(channel, shop_connection, "30004", [line("CAM-1")])
    deliver_message(order_message(order, erp).pk)
    settle(erp)

    order.refresh_from_db()
    assert order.status == OrderStatus.NEW
    conflict = Conflict.objects.get(object_id=str(order.pk))
    assert (conflict.field, conflict.incoming_value) == ("status", "confirmed")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_last_unit_on_two_channels_one_wins(sandbox, shop):
    erp = make_odoo_connection()
    channel_de, shop_de = make_pair(erp)
    channel_at, shop_at = make_pair(erp, channel_code="shop-at", shop_slug="shop-at")
    make_product("LAST-1", on_hand=1)
    results = {}
    barrier = threading.Barrier(2)

    def place(channel, shop_connection, number):
        try:
            barrier.wait()
            results[number] = place_order(channel, shop_connection, number, [line("LAST-1")])
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=place, args=(channel_de, shop_de, "DE-1")),
        threading.Thread(target=place, args=(channel_at, shop_at, "AT-1")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    flagged = sorted(Order.objects.filter(needs_attention=True).values_list("external_number", flat=True))
    reserved = list(StockReservation.objects.values_list("order_line__order__external_number", flat=True))
    assert len(flagged) == 1
    assert len(reserved) == 1
    assert set(flagged) | set(reserved) == {"DE-1", "AT-1"}
    level = StockLevel.objects.get(product__sku="LAST-1")
    assert (level.on_hand, level.reserved) == (Decimal("1"), Decimal("1"))
    messages = OutboundMessage.objects.filter(entity="stock").exclude(state=OutboundState.SUPERSEDED)
    assert {message.payload["available"] for message in messages} == {"0"}
    assert publish_availability([Product.objects.get(sku="LAST-1").pk])[0].payload["channels"] == {"shop-at": "0", "shop-de": "0"}


def test_stock_loop_step_applies_and_pushes_without_the_queue(sandbox, shop):
    erp = make_odoo_connection()
    make_pair(erp)
    make_product("CAM-1", on_hand=0, odoo_quantity=7)
    settle(erp)

    seed.set_stock("CAM-1", 2)
    counts = poll_once(erp.pk, [Domain.STOCK])

    # No task ran: the loop step itself applied the event and sent the figure.
    assert counts[Domain.STOCK] == 1
    assert counts["pushed"] == {"delivered": 1}
    assert shop.shown["CAM-1"][-1] == Decimal("2")
    assert not InboundEvent.objects.filter(state="pending").exists()
    assert not OutboundMessage.objects.filter(entity="stock", state=OutboundState.PENDING).exists()


def test_confirmation_hands_stock_to_odoo_when_delivered(sandbox, shop):
    erp = make_odoo_connection()
    channel, shop_connection = make_pair(erp)
    make_product("CAM-1", on_hand=0, odoo_quantity=5)
    settle(erp)
    order = place_order(channel, shop_connection, "30003", [line("CAM-1", 2, gross="23.80", net="20.00", tax="3.80")])

    deliver_message(order_message(order, erp).pk)

    # Before any poll: Odoo's reserved units replace Kontor's reservation in the same step.
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert StockReservation.objects.get(order_line__order=order).state == "released"
    level = StockLevel.objects.get(product__sku="CAM-1", warehouse=odoo_warehouse_of(erp))
    assert (level.on_hand, level.reserved) == (Decimal("3"), Decimal("0"))
    latest = OutboundMessage.objects.filter(entity="stock", state=OutboundState.PENDING).latest("pk")
    assert latest.payload["channels"]["shop-de"] == "3"
