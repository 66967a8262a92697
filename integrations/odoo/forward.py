"""Shop orders handed to the ERP: one outbox message per order, plus the channels' new stock.

orders.services.create_order queues both in the transaction that creates an order. This module
is the safety net for orders that got no ERP message then, for example because the ERP
connection was added or enabled later: the Odoo poll loop calls `forward_new_orders`, which
finds new orders without a message for the ERP and queues both. An order that has a message is
left alone, so the two ways never send an order twice, and a repeated message would only find
the existing sale order in Odoo.
"""

import logging

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef
from django.db.models.functions import Cast

from catalog.services.availability import publish_order_availability
from integrations.domains import Domain
from integrations.models import OutboundMessage
from integrations.services.outbox import enqueue_outbound
from orders.models import Order, OrderStatus

logger = logging.getLogger(__name__)

BATCH_SIZE = 500


def forward_new_orders(erp, *, limit=BATCH_SIZE):
    """Queue every new order that has no outbox message for `erp` yet; return how many were queued."""
    content_type = ContentType.objects.get_for_model(Order)
    queued_already = OutboundMessage.objects.filter(
        connection=erp, entity=Domain.ORDERS, content_type=content_type, object_id=OuterRef("pk_text")
    )
    orders = (
        Order.objects.filter(status=OrderStatus.NEW)
        .exclude(connection=erp)
        .annotate(pk_text=Cast("pk", CharField()))
        .filter(~Exists(queued_already))
        .order_by("pk")[:limit]
    )
    count = 0
    for order in orders:
        with transaction.atomic():
            # Lock the order and look again, so a message queued meanwhile is not doubled.
            Order.objects.select_for_update().filter(pk=order.pk).first()
            if OutboundMessage.objects.filter(connection=erp, entity=Domain.ORDERS, content_type=content_type, object_id=str(order.pk)).exists():
                continue
            publish_order_availability(order)
            enqueue_outbound(order, Domain.ORDERS, {"order_id": order.pk, "number": order.external_number}, origin=order.connection)
        count += 1
    if count:
        logger.info("orders forwarded to erp", extra={"connection_id": erp.pk, "count": count})
    return count
