"""Prometheus metrics read from the database, Redis and the brokers at scrape time.

Nothing is counted in process memory, so every gunicorn worker returns the same numbers and a
restart loses nothing. Counters are row counts of append-only facts (events received, messages
created, deliveries, sync errors recorded, finished sync runs). They stay monotonic as long as
no rows are deleted. The history purge (`manage.py purge_history`, daily once scheduled) deletes
finished rows, so the counters drop, and Prometheus reads each drop as a counter reset.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone
from django_q.brokers import get_broker
from prometheus_client import generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import CollectorRegistry

from integrations.circuit import CLOSED, HALF_OPEN, OPEN
from integrations.models import (
    Connection,
    InboundEvent,
    InboundState,
    OutboundMessage,
    OutboundState,
    SyncError,
    SyncRun,
    SyncRunState,
)
from integrations.services.clients import circuit_breaker_for
from monitoring.httpcalls import DURATION_BUCKETS, read_http_calls
from monitoring.models import Incident, LaneHeartbeat
from monitoring.services.lag import current_lags

# Upper bounds in seconds for the inbox processing and outbox delivery latency histograms.
LATENCY_BUCKETS = (1, 5, 15, 60, 300, 900, 3600)


def _bucket_label(bound):
    return "+Inf" if bound == float("inf") else str(float(bound))


def _grouped_counts(queryset, *fields):
    return queryset.values(*fields).annotate(n=Count("pk")).order_by(*fields)


def _latency_histogram(name, documentation, queryset, start_field, end_field, slugs):
    """Histogram of end - start per connection, computed by one grouped SQL query."""
    latency = ExpressionWrapper(F(end_field) - F(start_field), output_field=DurationField())
    aggregates = {f"le_{index}": Count("pk", filter=Q(latency__lte=timedelta(seconds=bound))) for index, bound in enumerate(LATENCY_BUCKETS)}
    rows = (
        queryset.annotate(latency=latency)
        .values("connection_id")
        .annotate(count=Count("pk"), total=Sum("latency"), **aggregates)
        .order_by("connection_id")
    )
    family = HistogramMetricFamily(name, documentation, labels=["connection"])
    for row in rows:
        buckets = [(_bucket_label(bound), row[f"le_{index}"]) for index, bound in enumerate(LATENCY_BUCKETS)]
        buckets.append(("+Inf", row["count"]))
        total = row["total"].total_seconds() if row["total"] else 0.0
        family.add_metric([slugs[row["connection_id"]]], buckets, total)
    return family


def _open_per_connection(name, documentation, queryset, slugs):
    """Build a gauge that counts the rows of `queryset` per connection, 0 for a connection without any."""
    family = GaugeMetricFamily(name, documentation, labels=["connection"])
    counts = dict(_grouped_counts(queryset, "connection_id").values_list("connection_id", "n"))
    for connection_id, slug in slugs.items():
        family.add_metric([slug], counts.get(connection_id, 0))
    return family


class KontorCollector:
    """prometheus_client collector that builds every Kontor metric when it is scraped."""

    def __init__(self, now=None):
        self._now = now

    def collect(self):
        now = self._now or timezone.now()
        connections = list(Connection.objects.order_by("pk"))
        slugs = {connection.pk: connection.slug for connection in connections}

        yield from self._inbox(slugs)
        yield from self._outbox(slugs)
        yield from self._errors_and_runs(slugs)
        yield from self._lag_and_circuits(connections, slugs, now)
        yield from self._lanes(now)
        yield from self._http_calls(connections)

    def _inbox(self, slugs):
        received = CounterMetricFamily("kontor_inbound_events_received", "Inbound events stored in the inbox.", labels=["connection", "entity"])
        for row in _grouped_counts(InboundEvent.objects.all(), "connection_id", "entity"):
            received.add_metric([slugs[row["connection_id"]], row["entity"]], row["n"])
        yield received

        by_state = GaugeMetricFamily("kontor_inbound_events", "Inbound events by current state.", labels=["connection", "state"])
        for row in _grouped_counts(InboundEvent.objects.all(), "connection_id", "state"):
            by_state.add_metric([slugs[row["connection_id"]], row["state"]], row["n"])
        yield by_state

        yield _latency_histogram(
            "kontor_inbound_processing_seconds",
            "Time from storing an inbound event to processing it.",
            InboundEvent.objects.filter(state=InboundState.PROCESSED, processed_at__isnull=False),
            "received_at",
            "processed_at",
            slugs,
        )

    def _outbox(self, slugs):
        created = CounterMetricFamily("kontor_outbound_messages_created", "Outbound messages written to the outbox.", labels=["connection", "entity"])
        for row in _grouped_counts(OutboundMessage.objects.all(), "connection_id", "entity"):
            created.add_metric([slugs[row["connection_id"]], row["entity"]], row["n"])
        yield created

        by_state = GaugeMetricFamily("kontor_outbound_messages", "Outbound messages by current state.", labels=["connection", "state"])
        for row in _grouped_counts(OutboundMessage.objects.all(), "connection_id", "state"):
            by_state.add_metric([slugs[row["connection_id"]], row["state"]], row["n"])
        yield by_state

        delivered = CounterMetricFamily("kontor_deliveries", "Outbound messages delivered to their connection.", labels=["connection"])
        for row in _grouped_counts(OutboundMessage.objects.filter(state=OutboundState.DELIVERED), "connection_id"):
            delivered.add_metric([slugs[row["connection_id"]]], row["n"])
        yield delivered

        yield _latency_histogram(
            "kontor_delivery_seconds",
            "Time from writing an outbound message to its delivery, retries included.",
            OutboundMessage.objects.filter(state=OutboundState.DELIVERED, delivered_at__isnull=False),
            "created_at",
            "delivered_at",
            slugs,
        )

    def _errors_and_runs(self, slugs):
        # Import warnings have metrics of their own. Each dropped one value and kept its record,
        # so an alert on the sync error metrics must not fire for them.
        recorded = CounterMetricFamily(
            "kontor_sync_errors", "Sync errors recorded (failed items), import warnings left out.", labels=["connection", "direction"]
        )
        for row in _grouped_counts(SyncError.objects.problems(), "connection_id", "direction"):
            recorded.add_metric([slugs[row["connection_id"]], row["direction"]], row["n"])
        yield recorded

        recorded_warnings = CounterMetricFamily("kontor_sync_warnings", "Import warnings recorded.", labels=["connection"])
        for row in _grouped_counts(SyncError.objects.warnings(), "connection_id"):
            recorded_warnings.add_metric([slugs[row["connection_id"]]], row["n"])
        yield recorded_warnings

        unresolved = SyncError.objects.filter(resolved=False)
        yield _open_per_connection(
            "kontor_sync_errors_open", "Unresolved sync errors, import warnings left out.", unresolved.problems(), slugs
        )
        yield _open_per_connection("kontor_sync_warnings_open", "Unresolved import warnings.", unresolved.warnings(), slugs)

        runs = CounterMetricFamily("kontor_sync_runs", "Finished sync runs.", labels=["connection", "kind", "state"])
        finished = SyncRun.objects.exclude(state=SyncRunState.RUNNING)
        for row in _grouped_counts(finished, "connection_id", "kind", "state"):
            runs.add_metric([slugs[row["connection_id"]], row["kind"], row["state"]], row["n"])
        yield runs

        incidents = GaugeMetricFamily("kontor_alerts_open", "Open alert incidents.", labels=["connection"])
        counts = dict(_grouped_counts(Incident.objects.filter(resolved_at__isnull=True), "connection_id").values_list("connection_id", "n"))
        for connection_id, slug in slugs.items():
            incidents.add_metric([slug], counts.get(connection_id, 0))
        yield incidents

    def _lag_and_circuits(self, connections, slugs, now):
        lag = GaugeMetricFamily("kontor_lag_seconds", "Age of the oldest change not yet processed or delivered.", labels=["connection", "data_class"])
        target = GaugeMetricFamily("kontor_lag_target_seconds", "Lag target.", labels=["connection", "data_class"])
        for connection_id, lags in current_lags(slugs, now).items():
            for item in lags:
                lag.add_metric([slugs[connection_id], item.data_class], item.seconds)
                target.add_metric([slugs[connection_id], item.data_class], item.target_seconds)
        yield lag
        yield target

        circuit = GaugeMetricFamily("kontor_circuit_state", "Circuit breaker state: 1 for the current state.", labels=["connection", "state"])
        for connection in connections:
            current = circuit_breaker_for(connection).state
            for state in (CLOSED, OPEN, HALF_OPEN):
                circuit.add_metric([connection.slug, state], 1 if state == current else 0)
        yield circuit

    def _lanes(self, now):
        depth = GaugeMetricFamily("kontor_lane_queue_depth", "Tasks waiting in a lane's broker queue.", labels=["lane"])
        for lane in settings.LANES:
            depth.add_metric([lane], get_broker(lane).queue_size() or 0)
        yield depth

        age = GaugeMetricFamily("kontor_lane_heartbeat_age_seconds", "Seconds since a lane's worker last ran the heartbeat task.", labels=["lane"])
        for beat in LaneHeartbeat.objects.all():
            age.add_metric([beat.lane], max(0.0, (now - beat.last_seen_at).total_seconds()))
        yield age

    def _http_calls(self, connections):
        calls = read_http_calls([connection.slug for connection in connections])
        requests = CounterMetricFamily("kontor_http_requests", "HTTP calls to a connection by status class.", labels=["connection", "status_class"])
        durations = HistogramMetricFamily("kontor_http_request_duration_seconds", "Duration of HTTP calls to a connection.", labels=["connection"])
        for slug, data in calls.items():
            for status_class, count in data["status"].items():
                if count:
                    requests.add_metric([slug, status_class], count)
            cumulative = 0
            buckets = []
            for bound, count in zip((*DURATION_BUCKETS, float("inf")), data["buckets"], strict=True):
                cumulative += count
                buckets.append((_bucket_label(bound), cumulative))
            if cumulative:
                durations.add_metric([slug], buckets, data["sum_seconds"])
        yield requests
        yield durations


def render_metrics(now=None):
    """Return the Prometheus text exposition of every Kontor metric."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(KontorCollector(now))
    return generate_latest(registry)
