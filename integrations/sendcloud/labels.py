"""Label creation at Sendcloud: one parcel per shipment, never two."""

import logging

from integrations.sendcloud import mappers
from integrations.sendcloud.client import SendcloudClient
from orders.models import Shipment
from orders.services_shipments import record_label

logger = logging.getLogger(__name__)


def create_label(shipment_id, connection, *, weight_kg="1.0"):
    """Create the Sendcloud parcel and label of a shipment; return the shipment.

    A shipment that already has a parcel id is returned unchanged. Before creating, Kontor
    looks the parcel up by its external reference, because a timed-out POST may have created it.
    """
    shipment = Shipment.objects.select_related("order").get(pk=shipment_id)
    if shipment.external_id:
        return shipment

    client = SendcloudClient(connection)
    parcel = client.find_parcel(mappers.external_reference(shipment))
    if parcel is None:
        request = mappers.parcel_request(
            shipment, shipping_method_id=int(connection.credentials.get("shipping_method_id", 8)), weight_kg=weight_kg
        )
        parcel = client.create_parcel(request)
        logger.info("sendcloud parcel created", extra={"shipment_id": shipment.pk, "parcel_id": parcel.get("id")})

    pdf = client.label_pdf(parcel["id"])
    return record_label(
        shipment.pk,
        connection=connection,
        external_id=str(parcel["id"]),
        tracking_number=str(parcel.get("tracking_number") or ""),
        tracking_url=str(parcel.get("tracking_url") or ""),
        label_pdf=pdf,
        filename=f"sendcloud-{parcel['id']}.pdf",
        actor=f"sendcloud:{connection.slug}",
    )
