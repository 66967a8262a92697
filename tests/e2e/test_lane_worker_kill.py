"""A lane's django-q2 cluster after one of its idle workers is killed with SIGKILL.

The sentinel starts a new worker at once, so the lane is expected to go on running tasks.
django-q2 (1.11) hands tasks to its workers through one multiprocessing queue, and the idle
worker that waits for the next task holds the queue's reader lock while it reads the pipe. A
worker killed at that moment never releases the lock. With django-q2's own queue, every other
worker, the new one included, then waited for it for ever, and the lane stopped until the
cluster was restarted. Kontor's RecoverableQueue (core/taskqueue.py) lets the next worker take
the dead worker's lock over.

The cluster runs in a process of its own against the test database and the Redis db in
REDIS_URL, on the hot lane's queue, so no other process may use that queue meanwhile.
"""

import os
import signal
import uuid

import pytest
from django.conf import settings
from django.core.cache import cache
from django_q.tasks import async_task

from tests.e2e.processes import (
    children,
    reads_pipe,
    running_lane_cluster,
    wait_for,
)

LANE = "hot"
WORKERS = 2


def _run_marker_task(timeout):
    """Queue a task that sets a cache key; return whether the cluster ran it within `timeout` seconds."""
    key = f"lane-kill-test:{uuid.uuid4().hex}"
    async_task("django.core.cache.cache.set", key, "done", 60, cluster=LANE)
    return wait_for(lambda: cache.get(key) == "done", timeout) is not None


@pytest.fixture
def cluster():
    """Start a qcluster of the hot lane with two workers; kill its whole process tree afterwards."""
    with running_lane_cluster(LANE, WORKERS) as process:
        yield process


@pytest.mark.postgres
@pytest.mark.skipif(not settings.REDIS_URL, reason="the lane's queue is a Redis list")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("victim", ["reading the pipe", "waiting for the lock"])
def test_lane_runs_tasks_after_idle_worker_killed(cluster, victim):
    sentinel = wait_for(lambda: children(cluster.pid)[:1], 30)
    assert sentinel, "the qcluster started no sentinel within 30 s"
    sentinel = sentinel[0]
    # The sentinel starts its workers first, then the monitor and the pusher. The monitor reads
    # a pipe too (the result queue's), so only the workers are looked at.
    assert wait_for(lambda: len(children(sentinel)) == WORKERS + 2, 30)
    workers = children(sentinel)[:WORKERS]
    assert _run_marker_task(timeout=30), "the cluster ran no task before any worker was killed"

    reader = wait_for(lambda: [pid for pid in workers if reads_pipe(pid)], 10)
    assert reader, "no idle worker reads the task queue's pipe"
    # With two workers, the one not reading the pipe waits for the reader lock.
    victim_pid = reader[0] if victim == "reading the pipe" else next(pid for pid in workers if pid != reader[0])
    os.kill(victim_pid, signal.SIGKILL)
    assert wait_for(lambda: victim_pid not in children(sentinel), 15), f"worker {victim_pid} still runs 15 s after SIGKILL"
    assert wait_for(lambda: len(children(sentinel)) == WORKERS + 2, 15), "the sentinel did not start a new worker within 15 s"

    assert _run_marker_task(timeout=10), (
        f"the {LANE} lane ran no task within 10 s after its idle worker {victim_pid} ({victim}) was killed"
    )
