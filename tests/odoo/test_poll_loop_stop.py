"""The Odoo poll loops of a real poll-lane qcluster when the cluster is asked to stop.

`make run` stops a lane with SIGTERM to its qcluster process. The loops are expected to return
within about a second, call Odoo no more, release their locks and queue no successor, so that
ensure_pollers starts them again when the lane runs again. Before, they polled on until their
45 s deadline, or until `make run` killed them 10 s after Ctrl-C.

The cluster runs in a process of its own against the test database and the Redis db in
REDIS_URL, on the poll lane's queue. The sandbox Odoo is served by this process's live server,
which records when each Odoo request came in.
"""

import json
import signal
import subprocess
import time

import pytest
from django.conf import settings
from django.core.cache import cache
from django_q.brokers import get_broker
from django_q.models import Task

from integrations.models import SyncRun
from integrations.odoo.tasks import (
    ORDERS_LOOP,
    POLL_LANE,
    POLL_TASK,
    STOCK_LOOP,
    _lock_key,
    _loop_errors,
    ensure_pollers,
)
from integrations.sandbox.odoo import seed
from tests.e2e.processes import kill_tree, start_lane_cluster, wait_for
from tests.odoo.conftest import make_odoo_connection
from tests.odoo.helpers import make_product

# A loop ends after its current step, which takes a few Odoo requests.
LOOP_STOP_SECONDS = 1.5
# The cluster also waits for its pusher, which blocks in a Redis BLPOP of one second.
CLUSTER_STOP_SECONDS = 5.0
LOOPS = (STOCK_LOOP, ORDERS_LOOP)


def start_poll_cluster(log_path):
    """Start `manage.py qcluster` for the poll lane with two workers, logging JSON to `log_path`."""
    return start_lane_cluster(POLL_LANE, 2, log_path=log_path, log_level="INFO")


def loops_running(erp):
    return all(cache.get(_lock_key(erp.pk, kind)) is not None for kind in LOOPS)


def log_records(log_path, message):
    records = []
    with open(log_path) as log:
        for line in log:
            if line.startswith("{"):
                record = json.loads(line)
                if record["message"] == message:
                    records.append(record)
    return records


@pytest.mark.postgres
@pytest.mark.skipif(not settings.REDIS_URL, reason="the lane's queue is a Redis list")
@pytest.mark.django_db(transaction=True)
def test_poll_loops_stop_with_cluster(live_server, odoo_requests, tmp_path):
    # Given an Odoo connection served by the live server, and a poll-lane cluster whose two loops poll it
    seed.ensure_seeded()
    erp = make_odoo_connection()
    erp.base_url = f"{live_server.url}/sandbox/odoo"
    erp.save(update_fields=["base_url"])
    make_product("CAM-1", on_hand=5, odoo_quantity=5)
    broker = get_broker(POLL_LANE)
    broker.purge_queue()
    log_path = tmp_path / "qcluster.log"
    cluster = start_poll_cluster(log_path)
    try:
        assert ensure_pollers() == 2
        assert wait_for(lambda: loops_running(erp), 60), "the loops did not take their locks within 60 s"
        assert wait_for(lambda: len(odoo_requests.times) >= 10, 30), (
            f"the loops did not poll within 30 s: {len(odoo_requests.times)} Odoo requests"
        )

        # When the cluster gets SIGTERM, as `make run` sends it on Ctrl-C
        stop_sent = time.time()
        cluster.send_signal(signal.SIGTERM)

        # Then the cluster ends within seconds, and each loop returned "stopped" within about a second
        try:
            cluster.wait(timeout=CLUSTER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(
                f"the poll cluster still ran {CLUSTER_STOP_SECONDS} s after SIGTERM, "
                f"with {len(odoo_requests.since(stop_sent))} Odoo requests since"
            )
        assert cluster.returncode == 0
        tasks = list(Task.objects.filter(func=POLL_TASK).order_by("stopped"))
        assert sorted(task.args[2] for task in tasks) == sorted(LOOPS)
        assert [task.result for task in tasks] == ["stopped", "stopped"]
        assert [task.success for task in tasks] == [True, True]
        for task in tasks:
            assert task.stopped.timestamp() - stop_sent < LOOP_STOP_SECONDS, f"the {task.args[2]} loop took too long"

        # and no Odoo request came in after both loops had returned
        assert odoo_requests.since(tasks[-1].stopped.timestamp()) == []
        stopped_lines = log_records(log_path, "odoo poll loop stopped")
        assert sorted((line["connection_id"], line["kind"]) for line in stopped_lines) == [
            (erp.pk, ORDERS_LOOP), (erp.pk, STOCK_LOOP),
        ]

        # and the stop counts as no failure of a loop, released the locks and queued no successor
        assert [_loop_errors(erp.pk, kind).count() for kind in LOOPS] == [0, 0]
        assert SyncRun.objects.filter(connection=erp).count() == 0
        assert [cache.get(_lock_key(erp.pk, kind)) for kind in LOOPS] == [None, None]
        assert broker.queue_size() == 0

        # When the lane starts again and its every-minute task runs
        requests_before_restart = len(odoo_requests.times)
        cluster = start_poll_cluster(log_path)
        started = ensure_pollers()

        # Then both loops poll Odoo again
        assert started == 2
        assert wait_for(lambda: loops_running(erp), 60), "the loops did not take their locks within 60 s of the restart"
        assert wait_for(lambda: len(odoo_requests.times) >= requests_before_restart + 10, 30), (
            "the loops did not poll again within 30 s of taking their locks"
        )
    finally:
        kill_tree(cluster)
        broker.purge_queue()
