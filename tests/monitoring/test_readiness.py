"""Liveness, and readiness of the database, the brokers and the worker lanes."""

import copy
import socket
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone

from monitoring.models import LaneHeartbeat
from monitoring.services.readiness import check_database, readiness, record_heartbeat
from monitoring.tasks import heartbeat, measure_queue_delay

pytestmark = pytest.mark.django_db

TOKEN = "mon-test-token-0123456789"


def closed_port():
    """Return a loopback port that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def fresh_heartbeats():
    for lane in settings.LANES:
        record_heartbeat(lane)


def test_live_answers_ok(client):
    response = client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_when_everything_works(client, fresh_heartbeats):
    response = client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {
            "database": "ok", "broker:hot": "ok", "broker:master": "ok", "broker:poll": "ok",
            "lane:hot": "ok", "lane:master": "ok", "lane:poll": "ok",
        },
    }


def test_not_ready_when_a_lane_stops_consuming(client, fresh_heartbeats):
    # given the master lane's last heartbeat is older than three minutes
    LaneHeartbeat.objects.filter(lane="master").update(last_seen_at=timezone.now() - timedelta(minutes=3, seconds=5))

    # when the readiness endpoint is called
    response = client.get("/health/ready")

    # then it answers 503 and names the lane
    assert response.status_code == 503
    assert response.json()["status"] == "not ready"
    assert response.json()["checks"]["lane:master"] == "failed"
    assert response.json()["checks"]["lane:hot"] == "ok"


def test_not_ready_without_any_heartbeat(client):
    response = client.get("/health/ready")

    assert response.status_code == 503
    assert response.json()["checks"]["lane:hot"] == "failed"


def test_not_ready_when_broker_unreachable(client, fresh_heartbeats, settings):
    # given the hot lane's broker points at a closed port
    lanes = copy.deepcopy(settings.LANES)
    lanes["hot"]["redis"] = f"redis://127.0.0.1:{closed_port()}/10"
    settings.LANES = lanes

    # when the readiness endpoint is called
    response = client.get("/health/ready")

    # then the broker check fails and the others pass
    assert response.status_code == 503
    assert response.json()["checks"]["broker:hot"] == "failed"
    assert response.json()["checks"]["broker:master"] == "ok"
    assert response.json()["checks"]["database"] == "ok"


@pytest.mark.postgres
def test_not_ready_when_database_unreachable(fresh_heartbeats):
    # given a database connection to a closed port
    default = connections["default"]
    settings_dict = copy.deepcopy(default.settings_dict)
    settings_dict["PORT"] = closed_port()
    settings_dict["OPTIONS"] = {**settings_dict.get("OPTIONS", {}), "connect_timeout": 2}
    unreachable = default.__class__(settings_dict, alias="unreachable")

    # when readiness checks it
    check = check_database(unreachable)
    ready, checks = readiness(database=unreachable)

    # then the database check fails, and the lanes are reported unchecked
    assert check.ok is False
    assert check.detail.startswith("OperationalError: ")
    assert ready is False
    assert {c.name: c.ok for c in checks} == {
        "database": False, "broker:hot": True, "broker:master": True, "broker:poll": True,
        "lane:hot": False, "lane:master": False, "lane:poll": False,
    }
    assert [c.detail for c in checks if c.name == "lane:hot"] == ["not checked: database unreachable"]


def test_ready_details_only_for_staff_or_token(client, admin_client, fresh_heartbeats, settings):
    settings.MONITORING_TOKEN = TOKEN

    anonymous = client.get("/health/ready").json()
    staff = admin_client.get("/health/ready").json()
    token = client.get("/health/ready", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").json()

    assert "details" not in anonymous
    assert staff["details"]["lane:hot"].startswith("last heartbeat ")
    assert token["details"]["broker:hot"] == ""


def test_queue_probe_records_queue_delay():
    # given a probe queued 4.5 seconds ago
    queued_at = (timezone.now() - timedelta(seconds=4.5)).isoformat()

    # when a worker runs it
    delay = measure_queue_delay("hot", queued_at)

    # then the lane's heartbeat is fresh and carries the delay
    beat = LaneHeartbeat.objects.get(lane="hot")
    assert 4.5 <= delay < 10
    assert beat.queue_delay_seconds == delay
    assert (timezone.now() - beat.last_seen_at).total_seconds() < 10


def test_heartbeat_queues_probe_on_its_lane(monkeypatch):
    queued = []
    monkeypatch.setattr("monitoring.tasks.async_task", lambda func, *args, cluster: queued.append((func, args, cluster)))
    LaneHeartbeat.objects.create(lane="poll", last_seen_at=timezone.now() - timedelta(minutes=5), queue_delay_seconds=0.4)
    # A schedule due 11 minutes ago, as after a stop: its due time is not queue delay.
    due = (timezone.now() - timedelta(minutes=11)).isoformat()

    assert heartbeat("poll", scheduled_for=due) is True

    beat = LaneHeartbeat.objects.get(lane="poll")
    assert (timezone.now() - beat.last_seen_at).total_seconds() < 10
    assert beat.queue_delay_seconds == 0.4
    [(func, args, cluster)] = queued
    assert (func, args[0], cluster) == ("monitoring.tasks.measure_queue_delay", "poll", "poll")
    assert (timezone.now() - datetime.fromisoformat(args[1])).total_seconds() < 10


def test_heartbeat_without_broker_still_recorded(monkeypatch, caplog):
    def broker_down(func, *args, cluster):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr("monitoring.tasks.async_task", broker_down)

    assert heartbeat("hot") is False

    assert LaneHeartbeat.objects.filter(lane="hot").exists()
    assert [(record.message, record.lane) for record in caplog.records if record.name == "monitoring.tasks"] == [("queue probe not queued", "hot")]
