"""The ERP delivery state of each order: waiting for the ERP, in the ERP, failed, or not sent.

The ERP is the connection that leads the order status, because the ERP takes an order's
status over once it has the order (see integrations.odoo.routes). The state is derived from
what the framework stores: the ERP's binding of the order, the order's outbox messages to the
ERP, and their open sync errors.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Case, CharField, Exists, OuterRef, Q, Value, When
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from integrations.domains import Domain, FieldGroup
from integrations.models import Binding, OutboundMessage, OutboundState, SyncDirection, SyncError
from integrations.services.leading import leading_connection_id
from orders.models import Order, OrderStatus


class ErpState(models.TextChoices):
    WAITING = "waiting", _("Waiting for ERP")
    IN_ERP = "in_erp", _("In ERP")
    FAILED = "failed", _("Failed – see sync errors")
    NOT_SENT = "not_sent", _("Not sent to ERP")


# Messages that the ERP received, or that it did not need because it had the same content.
REACHED_STATES = [OutboundState.DELIVERED, OutboundState.SKIPPED]
UNFINISHED_STATES = [OutboundState.PENDING, OutboundState.IN_FLIGHT]


def erp_connection_id():
    """Return the id of the connection that leads the order status, or None if none does."""
    # NOTE: a setup without an ERP whose shop leads the whole order domain names the shop here.
    # Its own orders then get no state (see with_erp_state), but orders from other channels do.
    return leading_connection_id(Domain.ORDERS, FieldGroup.STATUS)


def with_erp_state(orders, erp_id):
    """Annotate each order of the queryset `orders` with `erp_state`, an ErpState value or None.

    `erp_id` is the ERP's connection id from erp_connection_id(). The state is None for every
    order when there is no ERP, and for an order that the ERP itself took. The state comes from
    subqueries of the orders' own statement, so a list page costs no query per order. An open
    sync error comes first, because support must act on it even when an earlier version of the
    order reached the ERP.
    """
    if erp_id is None:
        return orders.annotate(erp_state=Value(None, output_field=CharField()))

    record = {
        "connection_id": erp_id,
        "content_type_id": ContentType.objects.get_for_model(Order).pk,
        "object_id": Cast(OuterRef("pk"), output_field=CharField()),
    }
    messages = OutboundMessage.objects.filter(**record, entity=Domain.ORDERS)
    open_errors = SyncError.objects.filter(**record, entity=Domain.ORDERS, direction=SyncDirection.OUTBOUND, resolved=False)
    reached = Exists(Binding.objects.filter(**record)) | Exists(messages.filter(state__in=REACHED_STATES))

    return orders.annotate(
        erp_state=Case(
            When(connection_id=erp_id, then=Value(None)),
            When(Exists(open_errors), then=Value(ErpState.FAILED.value)),
            When(reached, then=Value(ErpState.IN_ERP.value)),
            When(Exists(messages.filter(state__in=UNFINISHED_STATES)), then=Value(ErpState.WAITING.value)),
            # The Odoo poll loop queues a new order that has no message for the ERP, such as an
            # order taken before the ERP was connected (integrations.odoo.forward).
            When(Q(status=OrderStatus.NEW) & ~Exists(messages), then=Value(ErpState.WAITING.value)),
            default=Value(ErpState.NOT_SENT.value),
            output_field=CharField(),
        )
    )


def erp_state_label(order):
    """Return the label of an order's `erp_state` annotation (see with_erp_state), or None."""
    if not order.erp_state:
        return None
    return ErpState(order.erp_state).label
