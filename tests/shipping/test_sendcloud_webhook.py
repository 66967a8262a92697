from itertools import permutations

import pytest

from integrations.models import Direction, InboundEvent, InboundState, OutboundMessage, SyncError
from orders.models import OrderStatus, OrderStatusChange, Shipment, ShipmentEvent, ShipmentStatus
from tests.payments.support import make_connection, process_pending
from tests.shipping.support import (
    make_order_with_address,
    make_sendcloud,
    parcel_event,
    post_parcel_event,
)

pytestmark = pytest.mark.django_db

# Sendcloud status ids: ready to send, en route to sorting center, driver en route, delivered.
STORY = [(1000, 1767261600000), (3, 1767265200000), (92, 1767344400000), (11, 1767351600000)]


def make_shop():
    return make_connection("payment-erp", "shop", {}, entities=("shipments",), direction=Direction.OUT)


def test_parcel_delivered_in_order(client, queued):
    order = make_order_with_address()
    sendcloud = make_sendcloud()
    shop = make_shop()

    responses = [post_parcel_event(client, sendcloud, parcel_event(status, at)) for status, at in STORY]
    process_pending()

    assert [response.status_code for response in responses] == [200, 200, 200, 200]
    shipment = Shipment.objects.get()
    assert shipment.order == order
    assert shipment.carrier == "dhl"
    assert shipment.tracking_number == "JVGL0612345678901234"
    assert shipment.status == ShipmentStatus.DELIVERED
    assert list(shipment.events.values_list("status", "applied")) == [
        ("label_created", True), ("in_transit", True), ("out_for_delivery", True), ("delivered", True),
    ]
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert list(OrderStatusChange.objects.filter(order=order).values_list("to_status", "applied")) == [
        ("shipped", True), ("delivered", True),
    ]
    confirmation = OutboundMessage.objects.get(entity="shipments")
    assert confirmation.connection == shop
    assert confirmation.payload["tracking_number"] == "JVGL0612345678901234"
    assert confirmation.payload["carrier"] == "dhl"
    assert confirmation.payload["order_number"] == "1001"


@pytest.mark.parametrize("story", list(permutations(STORY)), ids=lambda story: "-".join(str(status) for status, _ in story))
def test_any_arrival_order_ends_delivered_with_one_confirmation(client, queued, story):
    order = make_order_with_address()
    sendcloud = make_sendcloud()
    make_shop()

    for status, at in story:
        post_parcel_event(client, sendcloud, parcel_event(status, at))
        process_pending()

    shipment = Shipment.objects.get()
    assert shipment.status == ShipmentStatus.DELIVERED
    assert shipment.events.count() == 4
    assert OutboundMessage.objects.filter(entity="shipments").count() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert not OrderStatusChange.objects.filter(order=order, applied=True, to_status__in=["new", "confirmed"]).exists()


def test_late_in_transit_recorded_not_applied(client, queued):
    order = make_order_with_address()
    sendcloud = make_sendcloud()

    post_parcel_event(client, sendcloud, parcel_event(11, 1767351600000))
    post_parcel_event(client, sendcloud, parcel_event(3, 1767265200000))
    process_pending()

    late = ShipmentEvent.objects.get(status=ShipmentStatus.IN_TRANSIT)
    assert late.applied is False
    assert Shipment.objects.get().status == ShipmentStatus.DELIVERED
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED


def test_duplicate_delivery_stored_once(client, queued):
    make_order_with_address()
    sendcloud = make_sendcloud()
    payload = parcel_event(3, 1767265200000)

    first = post_parcel_event(client, sendcloud, payload)
    second = post_parcel_event(client, sendcloud, payload)

    assert first.json() == {"received": 1, "stored": 1}
    assert second.json() == {"received": 1, "stored": 0}


def test_invalid_signature_answered_401(client, queued):
    sendcloud = make_sendcloud()

    response = post_parcel_event(client, sendcloud, parcel_event(3, 1767265200000), secret="wrong")

    assert response.status_code == 401
    assert InboundEvent.objects.count() == 0


def test_signed_non_json_answered_400(client, queued):
    sendcloud = make_sendcloud()

    response = post_parcel_event(client, sendcloud, None, body=b"status=3")

    assert response.status_code == 400


def test_other_action_acknowledged(client, queued):
    sendcloud = make_sendcloud()

    response = post_parcel_event(client, sendcloud, {"action": "integration_updated", "timestamp": 1767265200000})

    assert response.status_code == 200
    assert response.json() == {"received": 0, "stored": 0}


def test_stored_parcel_has_no_address_or_email(client, queued):
    make_order_with_address()
    sendcloud = make_sendcloud()

    post_parcel_event(client, sendcloud, parcel_event(3, 1767265200000))

    parcel = InboundEvent.objects.get().payload["parcel"]
    assert "email" not in parcel
    assert "address" not in parcel
    assert "name" not in parcel
    assert parcel["order_number"] == "1001"


def test_unknown_order_stored_as_unmatched(client, queued):
    sendcloud = make_sendcloud()

    post_parcel_event(client, sendcloud, parcel_event(3, 1767265200000))
    process_pending()

    assert InboundEvent.objects.get().state == InboundState.FAILED
    error = SyncError.objects.get()
    assert error.code == "unmatched_shipment"
    assert "JVGL0612345678901234" in error.message
    assert Shipment.objects.count() == 0


def test_unmapped_status_id_ignored(client, queued):
    make_order_with_address()
    sendcloud = make_sendcloud()

    post_parcel_event(client, sendcloud, parcel_event(424242, 1767265200000))
    process_pending()

    assert InboundEvent.objects.get().state == InboundState.IGNORED
    assert Shipment.objects.count() == 0


def test_shipping_cancelled_order_flags_attention(client, queued):
    from orders.services import transition_order

    order = make_order_with_address()
    transition_order(order.pk, OrderStatus.CANCELLED, actor="erp")
    sendcloud = make_sendcloud()

    post_parcel_event(client, sendcloud, parcel_event(3, 1767265200000))
    process_pending()

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.needs_attention is True
    assert "in_transit" in order.attention_note or "shipped" in order.attention_note
    assert InboundEvent.objects.get().state == InboundState.PROCESSED
