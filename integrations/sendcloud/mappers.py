"""Sendcloud parcels and status ids to canonical shipment reports, and orders to parcel requests."""

from datetime import UTC, datetime

from orders.models import AddressKind, ShipmentStatus
from orders.payments import OrderReference
from orders.shipments import ShipmentReport

# Parcel status ids of `GET /api/v2/parcels/statuses`. Sendcloud asks to map ids, not messages.
# NOTE: compiled from Sendcloud's published status list; an id missing here is logged and
# its report skipped, so check an account's list when a carrier's statuses do not show up.
STATUS_BY_ID = {
    1: ShipmentStatus.LABEL_CREATED,  # announced
    3: ShipmentStatus.IN_TRANSIT,  # en route to sorting center
    4: ShipmentStatus.IN_TRANSIT,  # delivery delayed
    5: ShipmentStatus.IN_TRANSIT,  # sorted
    6: ShipmentStatus.EXCEPTION,  # not sorted
    7: ShipmentStatus.IN_TRANSIT,  # being sorted
    8: ShipmentStatus.DELIVERY_FAILED,  # delivery attempt failed
    11: ShipmentStatus.DELIVERED,
    12: ShipmentStatus.OUT_FOR_DELIVERY,  # awaiting customer pickup at a service point
    13: ShipmentStatus.LABEL_CREATED,  # announced, not collected
    15: ShipmentStatus.EXCEPTION,  # error collecting
    22: ShipmentStatus.HANDED_OVER,  # picked up by driver
    80: ShipmentStatus.EXCEPTION,  # unable to deliver
    91: ShipmentStatus.IN_TRANSIT,  # parcel en route
    92: ShipmentStatus.OUT_FOR_DELIVERY,  # driver en route
    93: ShipmentStatus.DELIVERED,  # collected by customer
    1000: ShipmentStatus.LABEL_CREATED,  # ready to send
    1001: ShipmentStatus.LABEL_CREATED,  # being announced
    1002: ShipmentStatus.EXCEPTION,  # announcement failed
    1999: ShipmentStatus.CANCELLED,  # cancellation requested
    2000: ShipmentStatus.CANCELLED,
    2001: ShipmentStatus.CANCELLED,  # submitting cancellation request
}


def report_from_webhook(payload):
    """Return the ShipmentReport of a stored parcel_status_changed payload, or None for an unknown status id."""
    parcel = payload["parcel"]
    status = parcel["status"]
    canonical = STATUS_BY_ID.get(status.get("id"))
    if canonical is None:
        return None
    changed_at = int(payload.get("carrier_status_change_timestamp") or payload["timestamp"])
    return ShipmentReport(
        carrier=str((parcel.get("carrier") or {}).get("code") or "sendcloud")[:50],
        status=canonical,
        occurred_at=datetime.fromtimestamp(changed_at / 1000, tz=UTC),
        tracking_number=str(parcel.get("tracking_number") or "")[:100],
        external_id=str(parcel["id"]),
        tracking_url=str(parcel.get("tracking_url") or "")[:500],
        service=str((parcel.get("shipment") or {}).get("name") or "")[:100],
        carrier_code=str(status.get("id")),
        description=str(status.get("message") or ""),
        order=OrderReference(order_number=str(parcel.get("order_number") or "").strip()),
    )


def parcel_request(shipment, *, shipping_method_id, weight_kg):
    """Build the `POST /api/v2/parcels` body for a shipment, asking for the label at once."""
    order = shipment.order
    address = order.addresses.get(kind=AddressKind.SHIPPING)
    name = " ".join(part for part in (address.first_name, address.last_name) if part) or address.company
    return {
        "parcel": {
            "name": name,
            "company_name": address.company,
            "address": address.street,
            "address_2": address.street2,
            "house_number": "",
            "city": address.city,
            "postal_code": address.postal_code,
            "country": str(address.country),
            "email": order.email,
            "telephone": address.phone,
            "order_number": order.external_number,
            # Looked up before a retry, because Sendcloud has no idempotency key.
            "external_reference": external_reference(shipment),
            "weight": str(weight_kg),
            "shipment": {"id": shipping_method_id},
            "request_label": True,
        }
    }


def external_reference(shipment):
    return f"kontor-shipment-{shipment.pk}"
