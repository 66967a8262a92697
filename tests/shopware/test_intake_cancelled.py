"""Shopware orders that arrive already cancelled: stored cancelled, with no stock, ERP message or conflict."""

from decimal import Decimal

import pytest
from django.utils import timezone

from integrations.models import (
    Conflict,
    Connection,
    ConnectionEntity,
    Direction,
    InboundEvent,
    InboundState,
    LeadingSystemRule,
    OutboundMessage,
    OutboundState,
)
from integrations.odoo.forward import forward_new_orders
from integrations.sandbox import faults, store
from integrations.sandbox.shopware.orders import PlacedLine, apply_transition, place_order
from integrations.services.cursors import run_delta_pull
from integrations.services.inbox import process_inbound_event
from integrations.shopware.tasks import push_catalog
from orders.models import Order, OrderStatus
from tests.shopware.webhook_posts import order_invalid_error, post_fixture_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def erp():
    """An ERP that receives orders and leads their status, as in the shop + ERP demo."""
    erp = Connection.objects.create(kind="odoo", name="Odoo", slug="odoo")
    ConnectionEntity.objects.create(connection=erp, entity="orders", direction=Direction.BOTH)
    LeadingSystemRule.objects.create(domain="orders", field_group="status", connection=erp)
    return erp


def history_of(order):
    return list(order.status_history.order_by("pk").values_list("from_status", "to_status", "note", "applied"))


def assert_stored_cancelled(order, product, erp):
    assert order.status == OrderStatus.CANCELLED
    assert order.needs_attention is False
    assert product.stock_levels.get().reserved == Decimal(0)
    assert OutboundMessage.objects.filter(connection=erp).count() == 0
    assert Conflict.objects.count() == 0
    # The ERP's safety net forwards new orders only.
    assert forward_new_orders(erp) == 0
    assert OutboundMessage.objects.filter(connection=erp).count() == 0


def test_cancellation_before_order_stores_cancelled(client, connection, erp, make_product):
    product = make_product("SW-TEST-1", on_hand=5)
    event = post_fixture_order(client, name="state_enter.order.state.cancelled")

    process_inbound_event(event.pk)

    event.refresh_from_db()
    assert (event.state, event.outcome) == (InboundState.PROCESSED, "created")
    order = Order.objects.get()
    assert order.external_number == "10042"
    assert_stored_cancelled(order, product, erp)
    assert history_of(order) == [
        ("", OrderStatus.NEW, "Order received", True),
        (OrderStatus.NEW, OrderStatus.CANCELLED, "Cancelled in Shopware before Kontor received the order", True),
    ]
    assert order.status_history.get(to_status=OrderStatus.CANCELLED).note_translations["de"] == (
        "In Shopware storniert, bevor Kontor die Bestellung erhielt"
    )
    assert connection.bindings.get(external_id="a3b9f0c2d4e64f1f8b2c7d9e0f1a2b3c").object_id == str(order.pk)


def test_late_placed_webhook_keeps_order_cancelled(client, connection, erp, make_product):
    product = make_product("SW-TEST-1", on_hand=5)
    cancelled = post_fixture_order(client, name="state_enter.order.state.cancelled")
    placed = post_fixture_order(client, name="checkout.order.placed")

    process_inbound_event(cancelled.pk)
    process_inbound_event(placed.pk)

    placed.refresh_from_db()
    assert (placed.state, placed.outcome) == (InboundState.PROCESSED, "skipped")
    order = Order.objects.get()
    assert_stored_cancelled(order, product, erp)
    assert [row[1] for row in history_of(order)] == [OrderStatus.NEW, OrderStatus.CANCELLED]


def test_cancellation_of_order_sent_to_erp_stays_a_conflict(client, connection, erp, make_product):
    product = make_product("SW-TEST-1", on_hand=5)
    placed = post_fixture_order(client, name="checkout.order.placed")
    process_inbound_event(placed.pk)
    # A worker has taken the ERP message, so the order may be in the ERP already. One that no
    # worker took is withdrawn instead (test_cancel_before_erp.py).
    OutboundMessage.objects.filter(connection=erp, entity="orders").update(state=OutboundState.IN_FLIGHT, attempts=1)
    cancelled = post_fixture_order(client, name="state_enter.order.state.cancelled")

    process_inbound_event(cancelled.pk)

    cancelled.refresh_from_db()
    assert (cancelled.state, cancelled.outcome) == (InboundState.PROCESSED, "skipped")
    order = Order.objects.get()
    assert order.status == OrderStatus.NEW
    assert order.needs_attention is True
    assert product.stock_levels.get().reserved == Decimal(2)
    conflict = Conflict.objects.get()
    assert (conflict.field, conflict.incoming_value, conflict.leading_connection_id) == ("status", "cancelled", erp.pk)
    assert OutboundMessage.objects.filter(connection=erp, entity="orders").count() == 1


def test_delta_pull_stores_cancelled_order(sandbox, connection, erp, make_product, django_capture_on_commit_callbacks):
    product = make_product("SW-5", on_hand=10)
    push_catalog(connection.pk)
    faults.update_faults("shopware", {"drop_webhooks_percent": 100})
    shop_product = store.find_by_natural_key("shopware", "product", "SW-5").data
    with django_capture_on_commit_callbacks(execute=True):
        placed = place_order(
            [PlacedLine(product=shop_product, quantity=2, unit_gross=Decimal("11.90"))],
            customer_number="17850", country_iso="GB", placed_at=timezone.now(),
        )
        apply_transition("order", placed["id"], "cancel")
    assert InboundEvent.objects.count() == 0

    run = run_delta_pull(connection, "orders", process_inline=True)

    assert run.state == "succeeded"
    assert run.created_count == 1
    order = Order.objects.get()
    assert order.external_number == placed["orderNumber"]
    assert_stored_cancelled(order, product, erp)
    assert [row[1] for row in history_of(order)] == [OrderStatus.NEW, OrderStatus.CANCELLED]


def test_state_that_is_not_an_object_is_rejected(client, connection, erp, make_product):
    product = make_product("SW-TEST-1", on_hand=5)
    event = post_fixture_order(client, name="state_enter.order.state.cancelled", stateMachineState="cancelled")
    assert InboundEvent.objects.get() == event

    process_inbound_event(event.pk)

    error = order_invalid_error(event)
    assert error.message == (
        "Shopware order 10042 was not imported: Shopware sent the order without a readable order status. Ask the "
        "person who set up the Kontor app in Shopware to send orders with their status. Nothing of it was saved. Fix "
        "the cause (catalog, channel currencies or the order in Shopware), then retry. Shopware fields concerned: "
        "stateMachineState."
    )
    assert Order.objects.count() == 0
    assert product.stock_levels.get().reserved == Decimal(0)
