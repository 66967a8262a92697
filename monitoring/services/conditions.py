"""What each alert rule kind measures for one connection at one moment.

Every function returns a Measurement: whether the rule's condition is met (firing), the measured
value and a message for support staff. The message is a Translatable, so the incident can keep
it in every language and each reader sees their own.
"""

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy, ngettext_lazy

from core.translation import Translatable
from integrations.circuit import CLOSED
from integrations.models import (
    InboundEvent,
    InboundState,
    OutboundMessage,
)
from integrations.services.clients import circuit_breaker_for
from monitoring.models import RuleKind
from monitoring.services.backlog import waiting_counts
from monitoring.services.errorrate import error_rate
from monitoring.services.health import CIRCUIT_LABELS
from monitoring.services.lag import WAITING_OUTBOUND_STATES, current_lags, format_seconds
from orders.erpstate import erp_connection_id

# The order backlog rule reads its count once a minute across its window, but at most this
# many times, evenly spaced, so that a long window still costs one short query.
BACKLOG_SAMPLES = 60

# Durations in a stored message are rendered in each language along with it.
format_seconds_lazy = lazy(format_seconds, str)


class Capitalized:
    """Text whose first letter is upper case in every language, for a message that opens with a lower-case label."""

    def __init__(self, text):
        self.text = text

    def __str__(self):
        text = str(self.text)
        return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Measurement:
    firing: bool
    value: float
    message: str


def measure_error_rate(rule, connection, now):
    """Measure failed items against items attempted in the rule's window (monitoring.services.errorrate)."""
    rate = error_rate(connection, now - timedelta(minutes=rule.window_minutes), now)
    firing = rate.failed >= max(rule.minimum_count, 1) and rate.percent >= rule.threshold
    message = Translatable(
        gettext_lazy("%(errors)d of %(items)d items failed in the last %(minutes)d minutes (%(rate)d%%, threshold %(threshold)d%%)."),
        errors=rate.failed, items=rate.items, minutes=rule.window_minutes, rate=round(rate.percent), threshold=rule.threshold,
    )
    return Measurement(firing, rate.percent, message)


def measure_lag(rule, connection, now):
    """Measure the data class furthest over its target; fire when any data class is over its target."""
    lags = current_lags([connection.pk], now)[connection.pk]
    worst = max(lags, key=lambda lag: lag.seconds / lag.target_seconds)
    message = Capitalized(Translatable(
        gettext_lazy("%(data_class)s data is %(lag)s behind, target %(target)s."),
        data_class=worst.label, lag=format_seconds_lazy(worst.seconds), target=format_seconds_lazy(worst.target_seconds),
    ))
    return Measurement(worst.over_target, worst.seconds, message)


def measure_circuit(rule, connection, now):
    """Read the connection's circuit breaker; fire while it is open or half-open."""
    state = circuit_breaker_for(connection).state
    message = Translatable(
        gettext_lazy(
            "The circuit breaker is %(state)s: after repeated server errors or timeouts Kontor stopped "
            "calling %(connection)s and waits in the outbox until a test call succeeds."
        ),
        state=CIRCUIT_LABELS.get(state, state), connection=connection.name,
    )
    return Measurement(state != CLOSED, 0.0 if state == CLOSED else 1.0, message)


def measure_queue_depth(rule, connection, now):
    """Count items waiting in the connection's inbox and outbox; fire above the threshold."""
    inbound = InboundEvent.objects.filter(connection=connection, state=InboundState.PENDING).count()
    outbound = OutboundMessage.objects.filter(connection=connection, state__in=WAITING_OUTBOUND_STATES).count()
    depth = inbound + outbound
    message = Translatable(
        gettext_lazy("%(depth)d items are waiting: %(inbound)d in the inbox and %(outbound)d in the outbox (threshold %(threshold)d)."),
        depth=depth, inbound=inbound, outbound=outbound, threshold=rule.threshold,
    )
    return Measurement(depth > rule.threshold, float(depth), message)


def is_open(rule, moment, time_zone):
    """Return whether `moment` falls in the rule's opening days and hours in `time_zone`."""
    local = moment.astimezone(ZoneInfo(time_zone))
    if str(local.isoweekday()) not in rule.weekdays:
        return False
    if rule.opens_at is None:
        return True
    return rule.opens_at <= local.time().replace(tzinfo=None) < rule.closes_at


def measure_no_traffic(rule, connection, now):
    """Count inbound events in the window; fire on none while the shop was open for the whole window.

    Opening hours are read in the connection's time zone. The window must start and end inside
    them, so a shop that opened 10 minutes ago is not reported for the hour before it opened.
    """
    since = now - timedelta(minutes=rule.window_minutes)
    events = InboundEvent.objects.filter(connection=connection, received_at__gt=since, received_at__lte=now)
    if rule.entity:
        events = events.filter(entity=rule.entity)
    count = events.count()
    expected = is_open(rule, since, connection.time_zone) and is_open(rule, now, connection.time_zone)
    subject = rule.get_entity_display() if rule.entity else gettext_lazy("events")
    message = Translatable(
        gettext_lazy("No %(what)s received from %(connection)s in the last %(minutes)d minutes of opening hours."),
        what=subject, connection=connection.name, minutes=rule.window_minutes,
    )
    return Measurement(expected and count == 0, float(count), message)


def measure_order_backlog(rule, connection, now):
    """Count the orders waiting for the ERP; fire when more than the threshold waited all through the window.

    The count is the dashboard tile's (monitoring.services.backlog), read at `now` and once a
    minute back to the window's start. Only the connection that leads the order status has
    such orders, so the rule never fires for another connection.

    NOTE: a dip below the threshold between two readings goes unseen, and a window longer than
    BACKLOG_SAMPLES minutes is read at longer steps.
    """
    if connection.pk != erp_connection_id():
        message = Translatable(
            gettext_lazy("%(connection)s does not lead the order status, so no orders wait for it."), connection=connection.name
        )
        return Measurement(False, 0.0, message)

    readings = min(rule.window_minutes, BACKLOG_SAMPLES)
    step = timedelta(minutes=rule.window_minutes) / readings
    counts = waiting_counts(connection.pk, [now - step * index for index in range(readings, -1, -1)], now)
    lowest = min(counts)
    message = Translatable(
        ngettext_lazy(
            "%(count)d order waits for %(connection)s. At least %(lowest)d waited all through the last "
            "%(minutes)d minutes (threshold %(threshold)d).",
            "%(count)d orders wait for %(connection)s. At least %(lowest)d waited all through the last "
            "%(minutes)d minutes (threshold %(threshold)d).",
            "count",
        ),
        count=counts[-1], connection=connection.name, lowest=lowest, minutes=rule.window_minutes, threshold=rule.threshold,
    )
    return Measurement(lowest > rule.threshold, float(lowest), message)


MEASURES = {
    RuleKind.ERROR_RATE: measure_error_rate,
    RuleKind.LAG: measure_lag,
    RuleKind.CIRCUIT_OPEN: measure_circuit,
    RuleKind.QUEUE_DEPTH: measure_queue_depth,
    RuleKind.NO_TRAFFIC: measure_no_traffic,
    RuleKind.ORDER_BACKLOG: measure_order_backlog,
}


def measure(rule, connection, now):
    return MEASURES[RuleKind(rule.kind)](rule, connection, now)
