"""Provider events that could not be matched to an order: listing, re-matching and reprocessing.

Such an event stays in the inbox as failed, with a sync error whose code names the reason.
Support links it to the right order, and Kontor processes it and every other failed event of
the same payment or parcel again.
"""

import logging

from django.db import transaction

from integrations.models import InboundEvent, InboundState, SyncError
from integrations.services.syncruns import retry_sync_errors
from orders.services_payments import link_payment_to_order
from orders.services_shipments import link_parcel_to_order

logger = logging.getLogger(__name__)

# Sync error codes of provider events that need a person to name the order.
UNMATCHED_CODES = ("unmatched_payment", "unmatched_shipment", "payment_not_yet_known")


def unmatched_events():
    return InboundEvent.objects.filter(
        state=InboundState.FAILED,
        entity__in=("payments", "shipments"),
        sync_error__code__in=UNMATCHED_CODES,
        sync_error__resolved=False,
    )


def reprocess(events):
    """Queue the events again with fresh attempts; return how many were queued."""
    errors = SyncError.objects.filter(inbound_event__in=events)
    return retry_sync_errors(errors)


@transaction.atomic
def rematch(event, order, *, actor):
    """Link the payment or parcel of `event` to `order` and queue all its failed events again.

    Returns how many events were queued. Raises ValueError when the payment is in another
    currency than the order.
    """
    connection = event.connection
    if event.entity == "payments":
        link_payment_to_order(
            connection.kind, event.external_id, order, currency=order.currency, connection=connection, actor=actor
        )
    else:
        parcel = event.payload.get("parcel") or {}
        carrier = str((parcel.get("carrier") or {}).get("code") or connection.kind)
        link_parcel_to_order(
            connection=connection,
            carrier=carrier,
            order=order,
            external_id=event.external_id,
            tracking_number=str(parcel.get("tracking_number") or ""),
            actor=actor,
        )

    siblings = unmatched_events().filter(connection=connection, entity=event.entity, external_id=event.external_id)
    queued = reprocess(siblings)
    logger.info(
        "provider event rematched",
        extra={"inbound_event_id": event.pk, "order_id": order.pk, "queued": queued, "actor": actor},
    )
    return queued
