"""Tracking pulls for open DHL shipments: every new tracking event goes through the inbox.

DHL Parcel DE has no tracking webhook, so the hot lane polls. DHL asks for at most about ten
polls per parcel and day, so a parcel is polled again only after POLL_INTERVAL.
"""

import logging
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction

from integrations.dhl import mappers
from integrations.dhl.client import DhlClient
from integrations.models import Connection, InboundSource
from integrations.registry import InboundItem
from integrations.services.inbox import store_inbound_items
from integrations.services.queue import enqueue_on_commit
from orders.models import AddressKind, Shipment, ShipmentStatus

logger = logging.getLogger(__name__)

POLL_INTERVAL = timedelta(hours=3)

CLOSED_STATUSES = (ShipmentStatus.DELIVERED, ShipmentStatus.RETURNED, ShipmentStatus.CANCELLED)


def open_shipments(connection):
    return (
        Shipment.objects.filter(connection=connection, carrier=mappers.CARRIER)
        .exclude(tracking_number="")
        .exclude(status__in=CLOSED_STATUSES)
        .order_by("pk")
    )


def queue_tracking_pulls(connection_id):
    """Queue one tracking pull per open shipment not polled within POLL_INTERVAL; return the count."""
    connection = Connection.objects.get(pk=connection_id)
    count = 0
    for shipment_id in open_shipments(connection).values_list("pk", flat=True):
        # cache.add is atomic, so two schedulers never queue the same parcel twice in one interval.
        if cache.add(f"dhl:tracked:{shipment_id}", 1, int(POLL_INTERVAL.total_seconds())):
            enqueue_on_commit("integrations.dhl.tasks.pull_tracking", shipment_id, connection_id, lane="hot")
            count += 1
    logger.info("dhl tracking pulls queued", extra={"connection_id": connection_id, "count": count})
    return count


def pull_tracking(shipment, connection):
    """Fetch a parcel's tracking and store each event in the inbox; return how many were new."""
    address = shipment.order.addresses.filter(kind=AddressKind.SHIPPING).first()
    body = DhlClient(connection).track(shipment.tracking_number, postal_code=address.postal_code if address else "")
    items = [
        InboundItem(
            entity="shipments",
            external_id=shipment.tracking_number,
            dedup_key=f"dhl:{shipment.tracking_number}:{event.get('statusCode')}:{event.get('timestamp')}",
            payload={"tracking_number": shipment.tracking_number, "event": _without_personal_data(event)},
            event_type=str(event.get("statusCode") or ""),
        )
        for event in mappers.tracking_events(body, shipment.tracking_number)
    ]
    with transaction.atomic():
        new_ids = store_inbound_items(connection, items, source=InboundSource.PULL)
    return len(new_ids)


def _without_personal_data(event):
    return {key: event.get(key) for key in ("timestamp", "statusCode", "status", "description", "location") if key in event}
