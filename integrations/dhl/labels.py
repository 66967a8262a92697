"""Label creation at DHL Parcel DE: one shipment number per shipment, never two."""

import logging

from integrations.dhl import mappers
from integrations.dhl.billing import clean_billing_number
from integrations.dhl.client import DhlClient
from integrations.errors import ValidationFailed
from orders.models import Shipment
from orders.services_shipments import record_label

logger = logging.getLogger(__name__)

# DHL Paket national; "V62KP" (Kleinpaket) is the other domestic product.
DEFAULT_PRODUCT = "V01PAK"


def create_label(shipment_id, connection, *, weight_kg="1.0"):
    """Create the DHL label of a shipment and store it; return the shipment.

    A shipment that already has a DHL shipment number is returned unchanged. DHL has no
    idempotency key, so the number is saved in its own transaction right after the call.
    """
    shipment = Shipment.objects.select_related("order").get(pk=shipment_id)
    if shipment.external_id:
        return shipment

    credentials = connection.credentials
    request = mappers.shipment_request(
        shipment,
        # A number saved before the admin checked it is rejected here, before DHL is called.
        billing_number=clean_billing_number(credentials.get("billing_number", "")),
        product=credentials.get("product") or DEFAULT_PRODUCT,
        shipper=_shipper(credentials),
        weight_kg=weight_kg,
    )
    status, body = DhlClient(connection).create_orders([request])
    items = body.get("items") or [{}]
    try:
        shipment_number, pdf = mappers.label_from_item(items[0])
    except ValueError as error:
        raise ValidationFailed(f"DHL label for shipment {shipment.pk} rejected (HTTP {status})", connection=connection.name, status=status) from error
    logger.info("dhl label created", extra={"shipment_id": shipment.pk, "shipment_number": shipment_number})

    return record_label(
        shipment.pk,
        connection=connection,
        external_id=shipment_number,
        tracking_number=shipment_number,
        label_pdf=pdf,
        filename=f"dhl-{shipment_number}.pdf",
        actor=f"dhl:{connection.slug}",
    )


def _shipper(credentials):
    """Return the shipper address: a DHL shipper reference if configured, else the address fields."""
    if credentials.get("shipper_ref"):
        return {"shipperRef": credentials["shipper_ref"]}
    return {
        "name1": credentials.get("shipper_name", ""),
        "addressStreet": credentials.get("shipper_street", ""),
        "addressHouse": credentials.get("shipper_house", ""),
        "postalCode": credentials.get("shipper_postal_code", ""),
        "city": credentials.get("shipper_city", ""),
        "country": "DEU",
    }
