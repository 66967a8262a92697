"""DHL Parcel DE label requests and tracking responses to and from canonical shipments."""

import base64
import binascii

from integrations.timezones import to_utc
from orders.models import AddressKind, ShipmentStatus
from orders.shipments import ShipmentReport

CARRIER = "dhl"

# `status.statusCode` of the unified tracking API. "unknown" carries no news and is skipped.
STATUS_BY_CODE = {
    "pre-transit": ShipmentStatus.LABEL_CREATED,
    "transit": ShipmentStatus.IN_TRANSIT,
    "delivered": ShipmentStatus.DELIVERED,
    "failure": ShipmentStatus.EXCEPTION,
}


def reference_number(shipment):
    """Return the shipment's refNo, which DHL requires to be 8 to 35 characters long."""
    return f"KONTOR-{shipment.pk:08d}"


def shipment_request(shipment, *, billing_number, product, shipper, weight_kg):
    """Build one entry of `shipments[]` for POST /orders from a shipment and its order's shipping address."""
    address = shipment.order.addresses.get(kind=AddressKind.SHIPPING)
    name = " ".join(part for part in (address.first_name, address.last_name) if part) or address.company
    street, _, house = address.street.rpartition(" ")
    return {
        "product": product,
        "billingNumber": billing_number,
        "refNo": reference_number(shipment),
        "shipper": shipper,
        "consignee": {
            "name1": name[:50],
            "name2": address.company[:50] if name != address.company else "",
            # DHL wants street and house number apart; the last word of the street is the number.
            "addressStreet": street or address.street,
            "addressHouse": house if street else "",
            "postalCode": address.postal_code,
            "city": address.city,
            "country": _alpha3(str(address.country)),
            "email": shipment.order.email,
            "phone": address.phone,
        },
        "details": {"weight": {"uom": "kg", "value": float(weight_kg)}},
    }


def _alpha3(alpha2):
    from django_countries import countries

    return countries.alpha3(alpha2) or alpha2


def label_from_item(item):
    """Return (shipment number, PDF bytes) of a successful POST /orders item; raise ValueError otherwise."""
    status = item.get("sstatus") or {}
    if int(status.get("statusCode", status.get("status", 0)) or 0) != 200:
        messages = "; ".join(message.get("validationMessage", "") for message in item.get("validationMessages", []))
        raise ValueError(f"DHL rejected the shipment: {status.get('title', '-')} {messages}".strip())
    try:
        pdf = base64.b64decode(item["label"]["b64"], validate=True)
    except (KeyError, TypeError, binascii.Error):
        raise ValueError("DHL returned no base64 label") from None
    return item["shipmentNo"], pdf


def tracking_events(body, tracking_number):
    """Return the tracking events of one parcel from a tracking response, its current status if it lists none."""
    events = []
    for shipment in body.get("shipments", []):
        if str(shipment.get("id")) == tracking_number:
            events += shipment.get("events") or [shipment.get("status") or {}]
    return [event for event in events if isinstance(event, dict)]


def report_from_event(event, tracking_number, time_zone="Europe/Berlin"):
    """Return the ShipmentReport of one tracking event, or None for "unknown" or an event without time.

    A timestamp without an offset is read as local time in `time_zone` (the connection's).
    """
    status = STATUS_BY_CODE.get(event.get("statusCode"))
    try:
        occurred_at = to_utc(event.get("timestamp") or None, time_zone)
    except ValueError:
        occurred_at = None
    if status is None or occurred_at is None:
        return None
    location = ((event.get("location") or {}).get("address") or {}).get("addressLocality", "")
    return ShipmentReport(
        carrier=CARRIER,
        status=status,
        occurred_at=occurred_at,
        tracking_number=tracking_number,
        carrier_code=str(event.get("statusCode")),
        description=str(event.get("description") or event.get("status") or ""),
        location=str(location),
    )
