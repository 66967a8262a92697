"""Pushing order status, delivery status and tracking numbers back to Shopware.

Shopware's state transitions are not idempotent: a repeated transition fails because it is
not allowed from the new state. So each push reads the order's current states from the shop
and applies only the transitions still missing on the way to the canonical status. A push
repeated after a crash therefore changes nothing.
"""

import logging

from integrations.errors import NotFound
from integrations.services.bindings import binding_for
from orders.models import OrderStatus, ShipmentStatus

logger = logging.getLogger(__name__)

# Canonical status -> (order state, delivery state) that Shopware should show.
TARGET_STATES = {
    OrderStatus.NEW: ("open", None),
    OrderStatus.CONFIRMED: ("in_progress", None),
    OrderStatus.IN_FULFILMENT: ("in_progress", None),
    OrderStatus.PARTIALLY_SHIPPED: ("in_progress", "shipped_partially"),
    OrderStatus.SHIPPED: ("in_progress", "shipped"),
    OrderStatus.DELIVERED: ("in_progress", "shipped"),
    OrderStatus.COMPLETED: ("completed", "shipped"),
    OrderStatus.CANCELLED: ("cancelled", "cancelled"),
    OrderStatus.RETURNED: ("completed", "returned"),
}

# Transitions from a current state towards a target: {(current, target): [transitions]}.
ORDER_PATHS = {
    ("open", "in_progress"): ["process"],
    ("open", "completed"): ["process", "complete"],
    ("in_progress", "completed"): ["complete"],
    ("open", "cancelled"): ["cancel"],
    ("in_progress", "cancelled"): ["cancel"],
}
DELIVERY_PATHS = {
    ("open", "shipped_partially"): ["ship_partially"],
    ("open", "shipped"): ["ship"],
    ("shipped_partially", "shipped"): ["ship"],
    ("open", "cancelled"): ["cancel"],
    ("shipped", "returned"): ["retour"],
    ("shipped_partially", "returned"): ["retour"],
}


def shopware_order(client, order_id):
    body = client.search("order", {
        "ids": [order_id],
        "associations": {"deliveries": {}, "stateMachineState": {}},
        "includes": {"order": ["id", "orderNumber", "stateMachineState", "deliveries"]},
    })
    data = body.get("data") or []
    if not data:
        raise NotFound(f"order {order_id} not found in Shopware", connection=client.connection.name, status=404)
    return data[0]


def push_order(client, connection, order):
    """Bring the Shopware order, its delivery and tracking codes in line with the canonical order.

    Returns the list of transitions applied.
    """
    binding = binding_for(connection, order)
    if binding is None:
        logger.info("Shopware status push skipped, order not from this shop", extra={"order_id": order.pk})
        return []
    remote = shopware_order(client, binding.external_id)
    target_order, target_delivery = TARGET_STATES.get(order.status, (None, None))
    applied = []

    delivery = (remote.get("deliveries") or [None])[0]
    tracking = sorted({s.tracking_number for s in order.shipments.exclude(status=ShipmentStatus.CANCELLED) if s.tracking_number})
    if delivery is not None and tracking:
        known = set(delivery.get("trackingCodes") or [])
        if not set(tracking) <= known:
            client.patch("order_delivery", delivery["id"], {"trackingCodes": sorted(known | set(tracking))})
            applied.append("trackingCodes")

    if delivery is not None and target_delivery:
        current = delivery["stateMachineState"]["technicalName"]
        for transition in DELIVERY_PATHS.get((current, target_delivery), []):
            client.transition("order_delivery", delivery["id"], transition)
            applied.append(f"delivery:{transition}")

    current = remote["stateMachineState"]["technicalName"]
    for transition in ORDER_PATHS.get((current, target_order), []):
        client.transition("order", remote["id"], transition)
        applied.append(f"order:{transition}")

    logger.info("Shopware order status pushed", extra={"order_id": order.pk, "transitions": applied})
    return applied
