"""Time series for the dashboard charts: events in and out, errors and lag per hour or per day."""

from dataclasses import dataclass
from datetime import UTC, timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Max
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from integrations.domains import DataClass
from integrations.models import (
    InboundEvent,
    InboundState,
    OutboundMessage,
    OutboundState,
    SyncError,
)
from monitoring.services.lag import entities_of, oldest_waiting_series


@dataclass(frozen=True)
class Range:
    key: str
    step: timedelta
    buckets: int
    trunc: type
    label_format: str


RANGES = {
    "24h": Range("24h", timedelta(hours=1), 24, TruncHour, "%H:00"),
    "14d": Range("14d", timedelta(days=1), 14, TruncDay, "%d.%m."),
}
DEFAULT_RANGE = "24h"


def bucket_starts(time_range, now):
    """Return the start of each bucket, oldest first, the last one containing `now` (UTC)."""
    now = now.astimezone(UTC)
    current = now.replace(minute=0, second=0, microsecond=0)
    if time_range.step >= timedelta(days=1):
        current = current.replace(hour=0)
    return [current - time_range.step * index for index in range(time_range.buckets - 1, -1, -1)]


def sample_times(range_key, now):
    """Return the moment each bucket's level is read at: its end, and `now` for the current bucket."""
    time_range = RANGES[range_key]
    starts = bucket_starts(time_range, now)
    return [start + time_range.step for start in starts[:-1]] + [now]


def _fill(rows, starts, value_key):
    values = {row["bucket"]: row[value_key] for row in rows}
    return [values.get(start, 0) or 0 for start in starts]


def _count_per_bucket(queryset, time_field, time_range, starts):
    rows = (
        queryset.filter(**{f"{time_field}__gte": starts[0]})
        .annotate(bucket=time_range.trunc(time_field, tzinfo=UTC))
        .values("bucket")
        .annotate(n=Count("pk"))
    )
    return _fill(rows, starts, "n")


def _max_latency_per_bucket(queryset, start_field, end_field, time_range, starts):
    latency = ExpressionWrapper(F(end_field) - F(start_field), output_field=DurationField())
    rows = (
        queryset.filter(**{f"{end_field}__gte": starts[0]})
        .annotate(bucket=time_range.trunc(end_field, tzinfo=UTC))
        .values("bucket")
        .annotate(latency=Max(latency))
    )
    return [value.total_seconds() if value else 0.0 for value in _fill(rows, starts, "latency")]


def chart_series(range_key=DEFAULT_RANGE, now=None, connection_id=None):
    """Return labels and per-bucket values of every dashboard chart.

    lag_<data class> is the longest time an item of that class took from arrival in Kontor to
    processed (inbox) or from queued to delivered (outbox), among items finished in the bucket.
    waiting_<data class> is the lag that the tiles show, read at each bucket's end and at `now`
    for the current bucket: the age of the oldest item still waiting then. During an outage the
    first stays low, because nothing finishes, while the second grows.
    """
    time_range = RANGES[range_key]
    now = now or timezone.now()
    starts = bucket_starts(time_range, now)

    inbound = InboundEvent.objects.all()
    outbound = OutboundMessage.objects.all()
    errors = SyncError.objects.all()
    if connection_id is not None:
        inbound = inbound.filter(connection_id=connection_id)
        outbound = outbound.filter(connection_id=connection_id)
        errors = errors.filter(connection_id=connection_id)

    series = {
        "labels": [start.strftime(time_range.label_format) for start in starts],
        "inbound": _count_per_bucket(inbound, "received_at", time_range, starts),
        "outbound": _count_per_bucket(outbound.filter(state=OutboundState.DELIVERED), "delivered_at", time_range, starts),
        # Import warnings get their own line because they need no action. Counted with the errors,
        # one import with many warnings would look like a burst of failures.
        "errors": _count_per_bucket(errors.problems(), "created_at", time_range, starts),
        "warnings": _count_per_bucket(errors.warnings(), "created_at", time_range, starts),
    }
    for data_class in DataClass:
        entities = entities_of(data_class)
        processed = _max_latency_per_bucket(
            inbound.filter(state=InboundState.PROCESSED, entity__in=entities), "received_at", "processed_at", time_range, starts
        )
        delivered = _max_latency_per_bucket(
            outbound.filter(state=OutboundState.DELIVERED, entity__in=entities), "created_at", "delivered_at", time_range, starts
        )
        series[f"lag_{data_class.value}"] = [max(pair) for pair in zip(processed, delivered, strict=True)]

    waiting = oldest_waiting_series(sample_times(range_key, now), now, connection_id=connection_id)
    for data_class in DataClass:
        series[f"waiting_{data_class.value}"] = waiting[data_class.value]
    return series
