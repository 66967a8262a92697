from decimal import Decimal

import pytest
from django.utils import timezone

from integrations.models import DeltaCursor, InboundEvent, InboundState
from integrations.sandbox import faults, store
from integrations.sandbox.models import DeliveryState, SandboxWebhookDelivery
from integrations.sandbox.shopware.orders import PlacedLine, place_order
from integrations.services.cursors import run_delta_pull
from integrations.services.inbox import process_inbound_event
from integrations.shopware import status
from integrations.shopware.tasks import push_catalog
from orders.models import Order, OrderStatus, Shipment
from orders.services import transition_order

pytestmark = pytest.mark.django_db


def place_in_shop(sku, quantity=2):
    product = store.find_by_natural_key("shopware", "product", sku).data
    return place_order(
        [PlacedLine(product=product, quantity=quantity, unit_gross=Decimal("11.90"))],
        customer_number="17850", country_iso="GB", placed_at=timezone.now(),
    )


def process_all():
    for event in InboundEvent.objects.filter(state=InboundState.PENDING).order_by("pk"):
        process_inbound_event(event.pk)


def test_shop_order_reaches_kontor_once_with_duplicates(sandbox, connection, make_product, django_capture_on_commit_callbacks):
    make_product("SW-1", on_hand=10)
    push_catalog(connection.pk)
    faults.update_faults("shopware", {"duplicate_webhooks_percent": 100})

    with django_capture_on_commit_callbacks(execute=True):
        placed = place_in_shop("SW-1")
    process_all()

    deliveries = SandboxWebhookDelivery.objects.filter(event="checkout.order.placed")
    assert [delivery.status_code for delivery in deliveries] == [200, 200]
    assert InboundEvent.objects.count() == 1
    order = Order.objects.get()
    assert order.external_number == placed["orderNumber"]
    assert order.total_gross == Decimal(str(placed["amountTotal"]))
    assert order.lines.get().reservations.get().quantity == 2


def test_delta_pull_catches_lost_webhook(sandbox, connection, make_product, django_capture_on_commit_callbacks):
    make_product("SW-2", on_hand=10)
    push_catalog(connection.pk)
    faults.update_faults("shopware", {"drop_webhooks_percent": 100})

    with django_capture_on_commit_callbacks(execute=True):
        placed = place_in_shop("SW-2")
    assert SandboxWebhookDelivery.objects.get().state == DeliveryState.DROPPED
    assert InboundEvent.objects.count() == 0

    run = run_delta_pull(connection, "orders", process_inline=True)
    again = run_delta_pull(connection, "orders", process_inline=True)

    assert run.state == "succeeded"
    assert run.created_count == 1
    assert Order.objects.get().external_number == placed["orderNumber"]
    assert again.created_count == 0
    assert DeltaCursor.objects.get(connection=connection, entity="orders").last_id == placed["id"]


def test_out_of_order_webhooks_still_end_cancelled(sandbox, connection, make_product, django_capture_on_commit_callbacks):
    from integrations.sandbox.shopware.orders import apply_transition

    make_product("SW-3", on_hand=10)
    push_catalog(connection.pk)
    faults.update_faults("shopware", {"reorder_webhooks": True})

    with django_capture_on_commit_callbacks(execute=True):
        placed = place_in_shop("SW-3")
    with django_capture_on_commit_callbacks(execute=True):
        apply_transition("order", placed["id"], "cancel")
    process_all()

    events = list(InboundEvent.objects.order_by("pk").values_list("event_type", flat=True))
    assert events == ["state_enter.order.state.cancelled", "checkout.order.placed"]
    order = Order.objects.get()
    assert order.status == OrderStatus.CANCELLED


def test_status_and_tracking_pushed_back(sandbox, connection, make_product, django_capture_on_commit_callbacks):
    make_product("SW-4", on_hand=10)
    push_catalog(connection.pk)
    with django_capture_on_commit_callbacks(execute=True):
        placed = place_in_shop("SW-4")
    process_all()
    order = Order.objects.get()
    transition_order(order.pk, OrderStatus.CONFIRMED, actor="test")
    transition_order(order.pk, OrderStatus.SHIPPED, actor="test")
    Shipment.objects.create(order=order, carrier="DHL", tracking_number="00340434161094042557")
    client = connection.connector.client(connection)

    applied = status.push_order(client, connection, Order.objects.get())
    repeated = status.push_order(client, connection, Order.objects.get())

    assert applied == ["trackingCodes", "delivery:ship", "order:process"]
    assert repeated == []
    remote = store.get("shopware", "order", placed["id"])
    assert remote["stateMachineState"]["technicalName"] == "in_progress"
    delivery = store.rows("shopware", "order_delivery").get(natural_key=placed["id"]).data
    assert delivery["trackingCodes"] == ["00340434161094042557"]
    assert delivery["stateMachineState"]["technicalName"] == "shipped"
