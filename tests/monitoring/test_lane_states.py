"""The dashboard shows a lane whose new cluster has not run a heartbeat yet as starting, not as stopped."""

import os
import re
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone, translation
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.status import Stat

from monitoring.services.readiness import record_heartbeat

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/monitoring/dashboard/"


@pytest.fixture(autouse=True)
def no_cluster_status():
    """Remove cluster statuses from the broker, before and after, so that no test reads the clusters of another."""
    broker = get_broker()

    def clear():
        for key in broker.connection.keys(f"{Conf.Q_STAT}:*"):
            broker.connection.delete(key)

    clear()
    yield
    clear()


def store_cluster_status(started_at, status=Conf.IDLE):
    """Store a cluster's status the way its sentinel does every guard cycle (expires after 3 s)."""
    empty_queue = SimpleNamespace(qsize=lambda: 0)
    sentinel = SimpleNamespace(
        parent_pid=os.getpid(),
        pid=os.getpid(),
        cluster_id=uuid.uuid4(),
        broker=get_broker(),
        tob=started_at,
        reincarnations=0,
        status=lambda: status,
        monitor=None,
        pusher=None,
        pool=[],
        task_queue=empty_queue,
        result_queue=empty_queue,
    )
    Stat(sentinel).save()


def lane_rows(client):
    """Return {lane: (data-state, CSS class, text of the Consuming cell)} of the German dashboard."""
    with translation.override("de"):
        html = client.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    rows = re.findall(r'<tr data-lane="(\w+)" data-state="(\w+)" class="([^"]*)">\s*<td>\w+</td>\s*<td>([^<]*)</td>', html)
    return {lane: (state, css_class, text) for lane, state, css_class, text in rows}


def test_new_cluster_without_heartbeat_is_starting(admin_client):
    # given a cluster that started 20 s ago and no lane that ran a heartbeat yet
    store_cluster_status(timezone.now() - timedelta(seconds=20))

    # when the dashboard opens, then every lane is starting, in neutral colours
    rows = lane_rows(admin_client)

    assert rows == {
        "hot": ("starting", "", "startet"),
        "master": ("starting", "", "startet"),
        "poll": ("starting", "", "startet"),
    }


def test_restarted_cluster_with_old_heartbeat_is_starting(admin_client):
    # given heartbeats from before a restart ten minutes ago, and a cluster started since
    now = timezone.now()
    for lane in ("hot", "master", "poll"):
        record_heartbeat(lane, now=now - timedelta(minutes=10))
    store_cluster_status(now - timedelta(seconds=5))

    rows = lane_rows(admin_client)

    assert rows["hot"] == ("starting", "", "startet")


def test_lane_with_fresh_heartbeat_is_consuming(admin_client):
    store_cluster_status(timezone.now() - timedelta(seconds=20))
    record_heartbeat("hot")

    rows = lane_rows(admin_client)

    assert rows["hot"] == ("consuming", "", "ja")
    assert rows["master"] == ("starting", "", "startet")


def test_lane_without_cluster_is_not_consuming(admin_client):
    rows = lane_rows(admin_client)

    assert rows["hot"] == ("not_consuming", "over-target", "nein")
    assert rows["master"] == ("not_consuming", "over-target", "nein")


def test_cluster_past_startup_without_heartbeat_is_not_consuming(admin_client):
    # given a cluster that has run for five minutes without any heartbeat reaching the lanes
    store_cluster_status(timezone.now() - timedelta(minutes=5))

    rows = lane_rows(admin_client)

    assert rows["hot"] == ("not_consuming", "over-target", "nein")


def test_stopping_cluster_is_not_starting(admin_client):
    store_cluster_status(timezone.now() - timedelta(seconds=20), status=Conf.STOPPING)

    rows = lane_rows(admin_client)

    assert rows["hot"] == ("not_consuming", "over-target", "nein")
