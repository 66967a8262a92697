"""Lag per connection and data class: the age of the oldest change that is still waiting.

A change waits while its inbound event is pending (received, not yet processed) or its
outbound message is pending or in flight (not yet delivered, retries with backoff included).
Failed items are not lag: they wait for a person and count as open sync errors instead.

The dashboard's tiles read the lag at the present moment (current_lags) and its lag charts at
the end of each hour or day (oldest_waiting_series), both with the conditions of
inbound_waiting_at and outbound_waiting_at. So a chart's last point is the tile's lag.
"""

from dataclasses import dataclass

from django.db.models import Min, Q
from django.utils import timezone
from django.utils.translation import gettext

from integrations.domains import DATA_CLASS, DataClass
from integrations.models import InboundEvent, InboundState, OutboundMessage, OutboundState
from monitoring.models import LagTarget

# Targets without a LagTarget row: hot data (stock, prices, order status) within seconds,
# master data (catalog, customers) within minutes.
DEFAULT_TARGET_SECONDS = {DataClass.HOT: 60, DataClass.MASTER: 15 * 60}

WAITING_OUTBOUND_STATES = [OutboundState.PENDING, OutboundState.IN_FLIGHT]


@dataclass(frozen=True)
class Lag:
    data_class: str
    seconds: float
    target_seconds: int

    @property
    def over_target(self):
        return self.seconds > self.target_seconds

    @property
    def label(self):
        return DataClass(self.data_class).label

    @property
    def seconds_display(self):
        return format_seconds(self.seconds)

    @property
    def target_display(self):
        return format_seconds(self.target_seconds)


def format_seconds(seconds):
    """Return a duration as a short text such as 45 s, 2 min 1 s or 3 h 5 min."""
    seconds = int(seconds)
    if seconds < 60:
        return gettext("%(seconds)d s") % {"seconds": seconds}
    if seconds < 3600:
        minutes, rest = divmod(seconds, 60)
        if rest:
            return gettext("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": rest}
        return gettext("%(minutes)d min") % {"minutes": minutes}
    hours, minutes = divmod(seconds // 60, 60)
    return gettext("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}


def entities_of(data_class):
    """Return the domains whose changes belong to a data class."""
    return sorted(domain.value for domain, klass in DATA_CLASS.items() if klass == data_class)


def lag_targets(connection_ids):
    """Return {(connection id, data class): target seconds}: own row, else default row, else built-in."""
    rows = LagTarget.objects.filter(connection_id__in=list(connection_ids)) | LagTarget.objects.filter(connection__isnull=True)
    own = {}
    defaults = dict(DEFAULT_TARGET_SECONDS)
    for row in rows:
        if row.connection_id is None:
            defaults[DataClass(row.data_class)] = row.target_seconds
        else:
            own[(row.connection_id, row.data_class)] = row.target_seconds

    targets = {}
    for connection_id in connection_ids:
        for data_class in DataClass:
            targets[(connection_id, data_class.value)] = own.get((connection_id, data_class.value), defaults[data_class])
    return targets


def default_target(data_class):
    """Return the target of connections without their own: the default row, else the built-in value."""
    row = LagTarget.objects.filter(connection__isnull=True, data_class=data_class).first()
    return row.target_seconds if row else DEFAULT_TARGET_SECONDS[DataClass(data_class)]


def inbound_waiting_at(moment, now):
    """Return the condition of the inbound events that waited at `moment`: received, not processed.

    At `now` that is every pending event, which the inbox's state index finds. For an earlier
    moment it adds the events processed after it.

    NOTE: the inbox stores no time at which an event failed or was ignored, so such an event is
    missing from past moments, and one that support retried counts as waiting also while it
    was failed.
    """
    pending = Q(state=InboundState.PENDING)
    if moment >= now:
        return pending
    return Q(received_at__lte=moment) & (pending | Q(state=InboundState.PROCESSED, processed_at__gt=moment))


def outbound_waiting_at(moment, now):
    """Return the condition of the outbound messages that waited at `moment`: written, not delivered.

    At `now` that is every pending or in-flight message. For an earlier moment it adds the
    messages delivered after it. The same gap as in inbound_waiting_at applies to messages later
    superseded, skipped, withdrawn or failed.
    """
    waiting = Q(state__in=WAITING_OUTBOUND_STATES)
    if moment >= now:
        return waiting
    return Q(created_at__lte=moment) & (waiting | Q(state=OutboundState.DELIVERED, delivered_at__gt=moment))


def outbound_waiting_since(first, now):
    """Return the condition of the outbound messages that may have waited at some moment from `first` to `now`.

    A query over several moments reads only these rows, then counts each moment with
    outbound_waiting_at.
    """
    return outbound_waiting_at(now, now) | Q(state=OutboundState.DELIVERED, delivered_at__gt=first)


def oldest_waiting_series(moments, now, connection_id=None):
    """Return {data class: [lag in seconds at each of `moments`]}, over all connections or one.

    The lag at a moment is its distance to the oldest change waiting then, and 0 when none
    waited. Over all connections that is the largest lag of any connection. Costs two queries,
    one for the inbox and one for the outbox.
    """
    inbound = InboundEvent.objects.all()
    outbound = OutboundMessage.objects.all()
    if connection_id is not None:
        inbound = inbound.filter(connection_id=connection_id)
        outbound = outbound.filter(connection_id=connection_id)

    # Only these rows can have waited at any of the moments, so the aggregates read no others.
    first = min(moments)
    inbound = inbound.filter(
        inbound_waiting_at(now, now) | Q(state=InboundState.PROCESSED, processed_at__gt=first)
    )
    outbound = outbound.filter(outbound_waiting_since(first, now))
    oldest_in = _oldest_per_moment(inbound, "received_at", inbound_waiting_at, moments, now)
    oldest_out = _oldest_per_moment(outbound, "created_at", outbound_waiting_at, moments, now)

    series = {}
    for data_class in DataClass:
        series[data_class.value] = []
        for index, moment in enumerate(moments):
            times = [oldest[(data_class.value, index)] for oldest in (oldest_in, oldest_out)]
            times = [time for time in times if time is not None]
            series[data_class.value].append(max(0.0, (moment - min(times)).total_seconds()) if times else 0.0)
    return series


def _oldest_per_moment(queryset, time_field, waiting_at, moments, now):
    """Return {(data class, moment index): oldest `time_field` among the rows waiting then, or None}."""
    aggregates = {}
    for data_class in DataClass:
        of_class = Q(entity__in=entities_of(data_class))
        for index, moment in enumerate(moments):
            aggregates[f"{data_class.value}_{index}"] = Min(time_field, filter=of_class & waiting_at(moment, now))
    values = queryset.aggregate(**aggregates)
    return {
        (data_class.value, index): values[f"{data_class.value}_{index}"]
        for data_class in DataClass
        for index in range(len(moments))
    }


def current_lags(connection_ids, now=None):
    """Return {connection id: [Lag for hot, Lag for master]} at `now`; 0 seconds when nothing waits."""
    now = now or timezone.now()
    connection_ids = list(connection_ids)
    oldest = {}

    inbound = (
        InboundEvent.objects.filter(connection_id__in=connection_ids)
        .filter(inbound_waiting_at(now, now))
        .values("connection_id", "entity")
        .annotate(oldest=Min("received_at"))
    )
    outbound = (
        OutboundMessage.objects.filter(connection_id__in=connection_ids)
        .filter(outbound_waiting_at(now, now))
        .values("connection_id", "entity")
        .annotate(oldest=Min("created_at"))
    )
    for row in [*inbound, *outbound]:
        key = (row["connection_id"], DATA_CLASS[row["entity"]].value)
        if key not in oldest or row["oldest"] < oldest[key]:
            oldest[key] = row["oldest"]

    targets = lag_targets(connection_ids)
    lags = {}
    for connection_id in connection_ids:
        lags[connection_id] = []
        for data_class in DataClass:
            key = (connection_id, data_class.value)
            seconds = max(0.0, (now - oldest[key]).total_seconds()) if key in oldest else 0.0
            lags[connection_id].append(Lag(data_class.value, seconds, targets[key]))
    return lags
