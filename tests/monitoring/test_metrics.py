"""The /metrics endpoint: Prometheus text read at scrape time, for staff or the token only."""

from datetime import timedelta

import pytest
import responses
from prometheus_client.parser import text_string_to_metric_families

from integrations.http import ConnectorHttpClient
from integrations.models import InboundState, OutboundState, SyncRunState
from monitoring.metrics import render_metrics
from monitoring.services.readiness import record_heartbeat
from tests.monitoring.conftest import (
    NOW,
    inbound_event,
    make_connection,
    open_circuit,
    outbound_message,
    sync_error,
    sync_run,
)

pytestmark = pytest.mark.django_db

TOKEN = "mon-test-token-0123456789"


def samples(text):
    """Return {(sample name, sorted label items): value} of a Prometheus text exposition."""
    parsed = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            parsed[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return parsed


def test_metrics_values(settings):
    # given a shop with inbox, outbox, errors, runs and an open circuit
    shop = make_connection("shop")
    inbound_event(shop, entity="orders", received_at=NOW - timedelta(seconds=3), processed_at=NOW)
    inbound_event(shop, entity="orders", received_at=NOW - timedelta(seconds=30), state=InboundState.PENDING)
    outbound_message(shop, entity="stock", created_at=NOW - timedelta(seconds=10), state=OutboundState.DELIVERED, delivered_at=NOW - timedelta(seconds=8))
    outbound_message(shop, entity="stock", created_at=NOW - timedelta(seconds=100), state=OutboundState.DELIVERED, delivered_at=NOW)
    outbound_message(shop, entity="products", created_at=NOW - timedelta(seconds=40))
    sync_error(shop)
    sync_error(shop, resolved=True)
    sync_run(shop, state=SyncRunState.FAILED)
    sync_run(shop, state=SyncRunState.RUNNING, finished_at=None)
    open_circuit(shop)
    record_heartbeat("hot", now=NOW - timedelta(seconds=20))

    # when the metrics are rendered at NOW
    parsed = samples(render_metrics(NOW).decode())

    # then each family has the exact values
    assert parsed[("kontor_inbound_events_received_total", (("connection", "shop"), ("entity", "orders")))] == 2
    assert parsed[("kontor_inbound_events", (("connection", "shop"), ("state", "pending")))] == 1
    assert parsed[("kontor_inbound_processing_seconds_bucket", (("connection", "shop"), ("le", "1.0")))] == 0
    assert parsed[("kontor_inbound_processing_seconds_bucket", (("connection", "shop"), ("le", "5.0")))] == 1
    assert parsed[("kontor_inbound_processing_seconds_count", (("connection", "shop"),))] == 1
    assert parsed[("kontor_inbound_processing_seconds_sum", (("connection", "shop"),))] == 3.0
    assert parsed[("kontor_outbound_messages_created_total", (("connection", "shop"), ("entity", "stock")))] == 2
    assert parsed[("kontor_outbound_messages", (("connection", "shop"), ("state", "pending")))] == 1
    assert parsed[("kontor_deliveries_total", (("connection", "shop"),))] == 2
    assert parsed[("kontor_delivery_seconds_bucket", (("connection", "shop"), ("le", "5.0")))] == 1
    assert parsed[("kontor_delivery_seconds_bucket", (("connection", "shop"), ("le", "60.0")))] == 1
    assert parsed[("kontor_delivery_seconds_bucket", (("connection", "shop"), ("le", "300.0")))] == 2
    assert parsed[("kontor_delivery_seconds_bucket", (("connection", "shop"), ("le", "+Inf")))] == 2
    assert parsed[("kontor_delivery_seconds_sum", (("connection", "shop"),))] == 102.0
    assert parsed[("kontor_sync_errors_total", (("connection", "shop"), ("direction", "outbound")))] == 2
    assert parsed[("kontor_sync_errors_open", (("connection", "shop"),))] == 1
    assert parsed[("kontor_sync_runs_total", (("connection", "shop"), ("kind", "pull"), ("state", "failed")))] == 1
    assert ("kontor_sync_runs_total", (("connection", "shop"), ("kind", "pull"), ("state", "running"))) not in parsed
    assert parsed[("kontor_lag_seconds", (("connection", "shop"), ("data_class", "hot")))] == 30.0
    assert parsed[("kontor_lag_seconds", (("connection", "shop"), ("data_class", "master")))] == 40.0
    assert parsed[("kontor_lag_target_seconds", (("connection", "shop"), ("data_class", "hot")))] == 60
    assert parsed[("kontor_circuit_state", (("connection", "shop"), ("state", "open")))] == 1
    assert parsed[("kontor_circuit_state", (("connection", "shop"), ("state", "closed")))] == 0
    assert parsed[("kontor_lane_heartbeat_age_seconds", (("lane", "hot"),))] == 20.0
    assert ("kontor_lane_queue_depth", (("lane", "master"),)) in parsed


@responses.activate
def test_http_calls_counted_per_connection():
    # given the framework HTTP client of a connection answering 200 twice and 503 once
    shop = make_connection("shop")
    responses.add(responses.GET, "http://shop.invalid/api/ping", status=200)
    responses.add(responses.GET, "http://shop.invalid/api/ping", status=200)
    responses.add(responses.GET, "http://shop.invalid/api/ping", status=503)
    client = ConnectorHttpClient(shop.slug, shop.base_url)

    # when it makes three calls
    client.request("GET", "/ping")
    client.request("GET", "/ping")
    with pytest.raises(Exception, match="HTTP 503"):
        client.request("GET", "/ping")
    parsed = samples(render_metrics(NOW).decode())

    # then the calls are counted by status class and their durations observed
    assert parsed[("kontor_http_requests_total", (("connection", "shop"), ("status_class", "2xx")))] == 2
    assert parsed[("kontor_http_requests_total", (("connection", "shop"), ("status_class", "5xx")))] == 1
    assert parsed[("kontor_http_request_duration_seconds_count", (("connection", "shop"),))] == 3
    assert parsed[("kontor_http_request_duration_seconds_bucket", (("connection", "shop"), ("le", "+Inf")))] == 3


def test_metrics_access(client, admin_client, settings):
    settings.MONITORING_TOKEN = TOKEN

    anonymous = client.get("/metrics")
    wrong_token = client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong")
    token = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    staff = admin_client.get("/metrics")

    assert anonymous.status_code == 403
    assert wrong_token.status_code == 403
    assert token.status_code == 200
    assert token["Content-Type"].startswith("text/plain; version=")
    assert "kontor_lane_queue_depth" in token.content.decode()
    assert staff.status_code == 200


def test_metrics_without_configured_token_reject_any_token(client, settings):
    settings.MONITORING_TOKEN = ""

    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer ")

    assert response.status_code == 403
