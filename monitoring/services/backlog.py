"""Orders waiting to reach the ERP: one definition for the dashboard's count and its chart.

The ERP is the connection that leads the order status (orders.erpstate.erp_connection_id). An
outbound order message to it waits from the moment it is written to the outbox until it is
delivered: while it is pending (queued, waiting for a retry, or held back behind an older order
of the ordered stream) or in flight. Messages that left the outbox another way (superseded by a
newer version of the order, skipped, withdrawn, failed) do not wait, because no send of them
follows. A failed one is an open sync error instead.

The count at `now` and the chart's points use the same condition as the lag of every data class,
monitoring.services.lag.outbound_waiting_at. So the chart's last point, taken at `now`, always
equals the count on the tile.

NOTE: the count is of messages, which the dashboard calls orders. Writing a new version of an
order supersedes its pending message, so an order has one waiting message, except while one
version is in flight and a newer one is queued behind it. Such an order counts twice.
"""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.db.models import Count, Min, Q
from django.urls import reverse
from django.utils import timezone

from integrations.domains import Domain
from integrations.models import Connection, OutboundMessage, OutboundState
from monitoring.services.lag import (
    WAITING_OUTBOUND_STATES,
    outbound_waiting_at,
    outbound_waiting_since,
)
from monitoring.services.series import sample_times
from orders.erpstate import erp_connection_id


@dataclass(frozen=True)
class OrderBacklog:
    """Order messages waiting for the ERP at one moment, and their split by current state.

    The split adds up to `total` at the present moment. For a past moment it leaves out the
    messages delivered since.
    """

    connection: Connection
    total: int
    queued: int
    retrying: int
    in_flight: int
    oldest_at: datetime | None

    @property
    def link(self):
        """Return the outbox list filtered to exactly the messages counted in `total`."""
        query = {
            "connection__id__exact": self.connection.pk,
            "entity__exact": Domain.ORDERS.value,
            "state__in": ",".join(WAITING_OUTBOUND_STATES),
        }
        return reverse("admin:integrations_outboundmessage_changelist") + "?" + urlencode(query)


def erp_order_messages(erp_id):
    return OutboundMessage.objects.filter(connection_id=erp_id, entity=Domain.ORDERS)


def erp_connection():
    """Return the connection that leads the order status, or None when no connection does."""
    erp_id = erp_connection_id()
    if erp_id is None:
        return None
    return Connection.objects.filter(pk=erp_id).first()


def order_backlog(now=None, erp=None):
    """Return the OrderBacklog of the ERP at `now`, or None when no connection leads the order status.

    Costs three queries (the leading rule, the connection and one aggregate), or one when the
    caller passes the ERP connection from erp_connection().
    """
    now = now or timezone.now()
    erp = erp if erp is not None else erp_connection()
    if erp is None:
        return None

    pending = Q(state=OutboundState.PENDING)
    counts = erp_order_messages(erp.pk).filter(outbound_waiting_at(now, now)).aggregate(
        total=Count("pk"),
        queued=Count("pk", filter=pending & Q(attempts=0)),
        retrying=Count("pk", filter=pending & Q(attempts__gt=0)),
        in_flight=Count("pk", filter=Q(state=OutboundState.IN_FLIGHT)),
        oldest_at=Min("created_at"),
    )
    return OrderBacklog(erp, **counts)


def waiting_counts(erp_id, moments, now):
    """Return how many of the ERP's order messages waited at each of `moments`, in one query."""
    # Only these messages can have waited at any of the moments, so the counts read no others.
    candidates = erp_order_messages(erp_id).filter(outbound_waiting_since(min(moments), now))
    counts = candidates.aggregate(
        **{f"at_{index}": Count("pk", filter=outbound_waiting_at(moment, now)) for index, moment in enumerate(moments)}
    )
    return [counts[f"at_{index}"] for index in range(len(moments))]


def order_backlog_series(range_key, now=None, erp=None):
    """Return the ERP's waiting order messages at each sample_times() moment, or None without an ERP.

    One aggregate query with one filtered count per bucket, plus erp_connection()'s two queries
    when `erp` is not passed.
    """
    now = now or timezone.now()
    erp = erp if erp is not None else erp_connection()
    if erp is None:
        return None
    return waiting_counts(erp.pk, sample_times(range_key, now), now)
