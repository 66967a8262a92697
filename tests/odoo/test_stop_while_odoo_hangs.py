"""A poll-lane qcluster asked to stop while its Odoo poll loops wait for an Odoo that hangs.

With the sandbox's timeout fault on, every Odoo request hangs for `HANG_SECONDS` before it gets
a 504. The cluster is expected to end within a few seconds of SIGTERM anyway: each loop's Odoo
call is cut short, the loop returns "stopped", logs it, records no Odoo failure and prints no
traceback. Before, the cluster waited for the hanging calls until `make run` killed it.
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

from integrations.models import SyncError, SyncRun
from integrations.odoo.stopping import CallStopped
from integrations.odoo.tasks import (
    ORDERS_LOOP,
    POLL_LANE,
    POLL_TASK,
    STOCK_LOOP,
    _lock_key,
    _loop_errors,
    ensure_pollers,
)
from integrations.sandbox import faults
from integrations.sandbox.odoo import seed
from tests.e2e.processes import kill_tree, start_lane_cluster, wait_for
from tests.odoo.conftest import make_odoo_connection
from tests.odoo.helpers import make_product

# Longer than the stop may take, shorter than the client's 30 s read timeout.
HANG_SECONDS = 20
# The cluster also waits for its pusher, which blocks in a Redis BLPOP of one second.
CLUSTER_STOP_SECONDS = 5.0
LOOPS = (STOCK_LOOP, ORDERS_LOOP)


def log_lines(log_path):
    with open(log_path) as log:
        return log.read().splitlines()


def records_of(lines, message):
    return [record for record in (json.loads(line) for line in lines if line.startswith("{")) if record["message"] == message]


@pytest.mark.postgres
@pytest.mark.skipif(not settings.REDIS_URL, reason="the lane's queue is a Redis list")
@pytest.mark.django_db(transaction=True)
def test_cluster_stops_while_odoo_hangs(live_server, odoo_requests, tmp_path):
    # Given two poll loops of a poll-lane cluster that read an Odoo served by the live server
    seed.ensure_seeded()
    erp = make_odoo_connection()
    erp.base_url = f"{live_server.url}/sandbox/odoo"
    erp.save(update_fields=["base_url"])
    make_product("CAM-1", on_hand=5, odoo_quantity=5)
    broker = get_broker(POLL_LANE)
    broker.purge_queue()
    log_path = tmp_path / "qcluster.log"
    cluster = start_lane_cluster(POLL_LANE, 2, log_path=log_path, log_level="INFO")
    try:
        assert ensure_pollers() == 2
        assert wait_for(lambda: all(cache.get(_lock_key(erp.pk, kind)) for kind in LOOPS), 60), "the loops took no locks"
        assert wait_for(lambda: len(odoo_requests.times) >= 10, 30), "the loops did not poll within 30 s"

        # and an Odoo that now hangs, so that each loop waits in an Odoo call
        fault_set = time.time()
        faults.update_faults("odoo", {"timeout_percent": 100, "timeout_seconds": HANG_SECONDS})
        assert wait_for(lambda: len(odoo_requests.since(fault_set)) >= 2, 10), "the loops sent no request to the hanging Odoo"
        time.sleep(0.5)

        # When the cluster gets SIGTERM, as `make run` sends it on Ctrl-C
        stop_sent = time.monotonic()
        cluster.send_signal(signal.SIGTERM)

        # Then it ends within seconds, not after the hanging requests
        try:
            cluster.wait(timeout=CLUSTER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the poll cluster still ran {CLUSTER_STOP_SECONDS} s after SIGTERM while Odoo hung")
        stop_seconds = time.monotonic() - stop_sent
        assert cluster.returncode == 0
        assert stop_seconds < CLUSTER_STOP_SECONDS

        # and both loops returned "stopped" after their Odoo calls were cut short, with no traceback
        tasks = list(Task.objects.filter(func=POLL_TASK))
        assert sorted(task.args[2] for task in tasks) == sorted(LOOPS)
        assert [task.result for task in tasks] == ["stopped", "stopped"]
        lines = log_lines(log_path)
        assert len(records_of(lines, "odoo call cut short, worker stopping")) >= 2
        assert sorted(record["kind"] for record in records_of(lines, "odoo poll loop stopped")) == sorted(LOOPS)
        assert [line for line in lines if "Traceback" in line] == []

        # and the stop counts as no Odoo failure
        assert [_loop_errors(erp.pk, kind).count() for kind in LOOPS] == [0, 0]
        assert SyncError.objects.filter(code=CallStopped.code).count() == 0
        assert SyncRun.objects.filter(connection=erp).count() == 0
        assert broker.queue_size() == 0
    finally:
        kill_tree(cluster)
        faults.reset_faults("odoo")
        broker.purge_queue()
