"""Apply carrier reports to shipments, their event history and the order's status.

Reports arrive late, twice and out of order ("delivered" before "in transit"). Every report is
kept as a ShipmentEvent; the shipment's status is the highest-ranked report, so any arrival
order ends in the same status. The order status follows through transition_order, which
records a backwards move without applying it. The shipping confirmation (carrier and tracking
number) is pushed once per shipment, when it first reaches the carrier.

Locks: the shipment row, then the order row inside transition_order.
"""

import logging

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.translation import Translatable
from integrations.domains import Domain
from integrations.services.outbox import enqueue_outbound
from orders.models import Order, OrderStatus, Shipment, ShipmentEvent, ShipmentStatus
from orders.services import InvalidTransition, set_attention_note, transition_order
from orders.shipments import SHIPPED_RANK, STATUS_RANK, ShipmentReport, UnmatchedShipmentEvent

logger = logging.getLogger(__name__)


def apply_shipment_report(report, *, connection=None, actor):
    """Record one carrier report and derive shipment and order status; return the outcome.

    Returns "created" for a new shipment, "updated" when the report was new and "skipped" for a
    duplicate. Raises UnmatchedShipmentEvent for a parcel of no known shipment or order.
    """
    with transaction.atomic():
        shipment, created = _lock_or_create_shipment(report, connection)
        _fill_identifiers(shipment, report)

        event, new = _record_event(shipment, report)
        if not new:
            return "skipped"

        previous_rank = STATUS_RANK[shipment.status]
        current = _derive_shipment_status(shipment)
        # A report below the known status is kept for the history but changes nothing.
        event.applied = current.pk == event.pk
        event.save(update_fields=["applied"])

        if previous_rank < SHIPPED_RANK <= STATUS_RANK[shipment.status]:
            enqueue_outbound(shipment, Domain.SHIPMENTS, shipping_confirmation(shipment), origin=connection)
            logger.info("shipping confirmation queued", extra={"shipment_id": shipment.pk, "order_id": shipment.order_id})

        _update_order_status(shipment.order_id, connection=connection, actor=actor)

    logger.info(
        "shipment report applied",
        extra={"shipment_id": shipment.pk, "order_id": shipment.order_id, "status": report.status, "applied": event.applied},
    )
    return "created" if created else "updated"


def _find_shipment(report, connection):
    shipments = Shipment.objects.select_for_update()
    if report.external_id and connection is not None:
        shipment = shipments.filter(connection=connection, external_id=report.external_id).first()
        if shipment:
            return shipment
    if report.tracking_number:
        return shipments.filter(carrier=report.carrier, tracking_number=report.tracking_number).first()
    return None


def _lock_or_create_shipment(report, connection):
    shipment = _find_shipment(report, connection)
    if shipment is not None:
        return shipment, False

    order = _match_order(report)
    try:
        with transaction.atomic():
            shipment = Shipment.objects.create(
                order=order,
                connection=connection,
                carrier=report.carrier,
                service=report.service,
                external_id=report.external_id,
                tracking_number=report.tracking_number,
                tracking_url=report.tracking_url,
            )
        return shipment, True
    except IntegrityError:
        # Another worker created it between the lookup and the insert. The carrier's shipment id
        # and the tracking number are both unique, so the lookup now finds that shipment.
        return _find_shipment(report, connection), False


def _match_order(report):
    reference = report.order
    orders = Order.objects.all()
    if reference.order_id:
        orders = orders.filter(pk=reference.order_id)
    elif reference.order_number:
        orders = orders.filter(external_number=reference.order_number)
        if reference.channel_code:
            orders = orders.filter(channel__code=reference.channel_code)
    else:
        raise UnmatchedShipmentEvent(report, Translatable(gettext_lazy("the report carries no order reference")))

    candidates = list(orders[:2])
    if len(candidates) > 1:
        raise UnmatchedShipmentEvent(report, Translatable(gettext_lazy("more than one channel has an order with this number")))
    if not candidates:
        raise UnmatchedShipmentEvent(report, Translatable(gettext_lazy("Kontor has no such order (yet)")))
    return candidates[0]


def _fill_identifiers(shipment, report):
    """Store a tracking number or URL that an earlier report did not have yet."""
    fields = [name for name in ("tracking_number", "tracking_url", "external_id", "service") if getattr(report, name) and not getattr(shipment, name)]
    for name in fields:
        setattr(shipment, name, getattr(report, name))
    if fields:
        shipment.save(update_fields=[*fields, "updated_at"])


def _record_event(shipment, report):
    """Insert the report as a ShipmentEvent; return it and whether it was new."""
    identity = {"shipment": shipment, "status": report.status, "carrier_code": report.carrier_code[:100], "occurred_at": report.occurred_at}
    existing = ShipmentEvent.objects.filter(**identity).first()
    if existing:
        return existing, False
    event = ShipmentEvent.objects.create(**identity, description=report.description[:500], location=report.location[:200], applied=False)
    return event, True


def _derive_shipment_status(shipment):
    """Set the shipment's status, shipped and delivered times from all its events; return the deciding event."""
    events = list(shipment.events.order_by("occurred_at", "id"))
    current = max(events, key=lambda event: (STATUS_RANK[event.status], event.occurred_at))
    shipment.status = current.status
    shipped = [event.occurred_at for event in events if STATUS_RANK[event.status] >= SHIPPED_RANK]
    delivered = [event.occurred_at for event in events if event.status == ShipmentStatus.DELIVERED]
    shipment.shipped_at = min(shipped) if shipped else None
    shipment.delivered_at = min(delivered) if delivered else None
    shipment.save(update_fields=["status", "shipped_at", "delivered_at", "updated_at"])
    return current


def target_order_status(shipments):
    """Return the order status its shipments imply, or None when they imply none yet."""
    active = [shipment for shipment in shipments if shipment.status != ShipmentStatus.CANCELLED]
    if not active:
        return None
    ranks = [STATUS_RANK[shipment.status] for shipment in active]
    if all(shipment.status == ShipmentStatus.RETURNED for shipment in active):
        return OrderStatus.RETURNED
    if all(rank >= STATUS_RANK[ShipmentStatus.DELIVERED] for rank in ranks):
        return OrderStatus.DELIVERED
    if all(rank >= SHIPPED_RANK for rank in ranks):
        return OrderStatus.SHIPPED
    if any(rank >= SHIPPED_RANK for rank in ranks):
        # NOTE: shipments are compared with each other, not with the order lines, so an order
        # whose only shipment contains part of the lines counts as shipped.
        return OrderStatus.PARTIALLY_SHIPPED
    return None


def _update_order_status(order_id, *, connection, actor):
    shipments = list(Shipment.objects.filter(order_id=order_id))
    target = target_order_status(shipments)
    if target is None:
        return None
    try:
        return transition_order(order_id, target, actor=actor, connection=connection, note=Translatable(gettext_lazy("Reported by the carrier")))
    except InvalidTransition as error:
        # A cancelled order that is shipped anyway: the goods are on their way, so a person must act.
        order = Order.objects.get(pk=order_id)
        note = Translatable(
            gettext_lazy("The carrier reports the order as %(status)s, but it cannot move there: %(error)s"),
            status=OrderStatus(target).label, error=error.messages[0],
        )
        order.save(update_fields=[*set_attention_note(order, note), "updated_at"])
        logger.warning("order status from carrier not allowed", extra={"order_id": order_id, "target": target})
        return None


def shipping_confirmation(shipment):
    """Return the shipping confirmation for a shop or marketplace: carrier, tracking number and lines."""
    order = shipment.order
    return {
        "order_id": order.pk,
        "order_number": order.external_number,
        "shipment_id": shipment.pk,
        "carrier": shipment.carrier,
        "service": shipment.service,
        "tracking_number": shipment.tracking_number,
        "tracking_url": shipment.tracking_url,
        "shipped_at": shipment.shipped_at.isoformat() if shipment.shipped_at else None,
        "lines": [{"order_line_id": line.order_line_id, "quantity": str(line.quantity)} for line in shipment.lines.all()],
    }


@transaction.atomic
def link_parcel_to_order(*, connection, carrier, order, external_id="", tracking_number="", actor):
    """Create the shipment for a parcel that could not be matched, so reprocessing its events applies them."""
    shipment = Shipment.objects.create(
        order=order, connection=connection, carrier=carrier, external_id=external_id, tracking_number=tracking_number
    )
    logger.info("parcel linked to order", extra={"shipment_id": shipment.pk, "order_id": order.pk, "actor": actor})
    return shipment


def record_label(shipment_id, *, connection, external_id, tracking_number, label_pdf, filename, tracking_url="", actor):
    """Store a carrier's new label and ids on the shipment and record its "label created" event.

    Runs in its own transaction after the carrier call, so the label number is saved at once:
    neither DHL nor Sendcloud offers an idempotency key, and a lost number means a second label.
    """
    with transaction.atomic():
        shipment = Shipment.objects.select_for_update().get(pk=shipment_id)
        shipment.connection = connection
        shipment.external_id = external_id
        shipment.tracking_number = tracking_number
        shipment.tracking_url = tracking_url or shipment.tracking_url
        shipment.label.save(filename, ContentFile(label_pdf), save=False)
        shipment.save(update_fields=["connection", "external_id", "tracking_number", "tracking_url", "label", "updated_at"])

        report = ShipmentReport(
            carrier=shipment.carrier,
            status=ShipmentStatus.LABEL_CREATED,
            occurred_at=timezone.now(),
            tracking_number=tracking_number,
            external_id=external_id,
            carrier_code="label",
            description=_("Label created"),
        )
        apply_shipment_report(report, connection=connection, actor=actor)
    logger.info("shipping label stored", extra={"shipment_id": shipment_id, "connection_id": connection.pk, "bytes": len(label_pdf)})
    return shipment
