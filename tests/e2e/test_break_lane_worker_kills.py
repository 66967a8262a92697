"""A lane's real qcluster after several, repeated and quick kills of its idle workers, and its stop.

Like tests/e2e/test_lane_worker_kill.py, the cluster runs in a process of its own against the
test database and the Redis db in REDIS_URL, on the hot lane's queue. It has four workers here.
Each task appends its marker to a Redis list, so a task run twice or lost shows in the list.
"""

import os
import signal
import time
import uuid

import pytest
from django.conf import settings
from django_q.models import Task
from django_q.tasks import async_task

from core.taskqueue import process_is_dead
from integrations.ratelimit import redis_client
from tests.e2e.processes import children, descendants, reads_pipe, running_lane_cluster, wait_for

LANE = "hot"
WORKERS = 4

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not settings.REDIS_URL, reason="the lane's queue is a Redis list"),
    pytest.mark.django_db(transaction=True),
]


def record_run(key, marker):
    """Append `marker` to the Redis list `key`. The cluster runs this task."""
    redis_client(settings.REDIS_URL).rpush(key, marker)


@pytest.fixture
def cluster():
    """Start a qcluster of the hot lane with four workers, and kill what is left of it afterwards."""
    with running_lane_cluster(LANE, WORKERS) as process:
        yield process


class Runs:
    """Markers of queued tasks and the list in which the cluster records the runs."""

    def __init__(self):
        self.key = f"lane-kill-break:{uuid.uuid4().hex}"
        self.queued = []
        self.redis = redis_client(settings.REDIS_URL)

    def queue(self, count=1):
        for _task in range(count):
            marker = f"{len(self.queued)}"
            self.queued.append(marker)
            async_task(f"{__name__}.record_run", self.key, marker, cluster=LANE)

    def ran(self):
        return [value.decode() for value in self.redis.lrange(self.key, 0, -1)]

    def all_ran(self, timeout):
        return wait_for(lambda: len(self.ran()) >= len(self.queued), timeout) is not None


def _workers(cluster):
    sentinel = wait_for(lambda: children(cluster.pid)[:1], 30)
    assert sentinel, "the qcluster started no sentinel within 30 s"
    sentinel = sentinel[0]
    assert wait_for(lambda: len(children(sentinel)) == WORKERS + 2, 30), "the sentinel did not start all its processes"
    return sentinel, children(sentinel)[:WORKERS]


def _kill(pids):
    for pid in pids:
        os.kill(pid, signal.SIGKILL)


def test_all_workers_killed_at_once(cluster):
    runs = Runs()
    sentinel, workers = _workers(cluster)
    runs.queue()
    assert runs.all_ran(30), "the cluster ran no task before any worker was killed"

    _kill(workers)
    assert wait_for(lambda: not set(workers) & set(children(sentinel)), 15), "killed workers still run after 15 s"
    runs.queue(20)

    assert runs.all_ran(20), f"ran {len(runs.ran())} of {len(runs.queued)} tasks within 20 s after all workers were killed"
    assert sorted(runs.ran(), key=int) == runs.queued


def test_reader_killed_again_after_each_takeover(cluster):
    runs = Runs()
    sentinel, workers = _workers(cluster)
    runs.queue()
    assert runs.all_ran(30)

    # The monitor and the pusher start after the first workers. The monitor reads a pipe too
    # (the result queue's), and the new workers get higher ids than both.
    helpers = children(sentinel)[WORKERS:]
    for _round in range(4):
        # The worker reading the pipe now is the one that took the lock over from the last victim.
        reader = wait_for(lambda: [pid for pid in children(sentinel) if pid not in helpers and reads_pipe(pid)], 10)
        assert reader, "no worker reads the task queue's pipe within 10 s"
        _kill(reader[:1])
        runs.queue(5)
        assert runs.all_ran(30), f"ran {len(runs.ran())} of {len(runs.queued)} tasks within 30 s of killing {reader[0]}"

    assert sorted(runs.ran(), key=int) == runs.queued


def test_stop_after_reader_killed(cluster):
    runs = Runs()
    sentinel, workers = _workers(cluster)
    runs.queue()
    assert runs.all_ran(30)
    reader = wait_for(lambda: [pid for pid in workers if reads_pipe(pid)], 10)
    assert reader, "no idle worker reads the task queue's pipe"

    # The reader dies, and the cluster gets SIGTERM before any worker could take its lock over.
    _kill(reader[:1])
    processes = descendants(cluster.pid)
    started = time.monotonic()
    cluster.send_signal(signal.SIGTERM)
    code = cluster.wait(timeout=60)
    stopped_after = time.monotonic() - started
    left = [pid for pid in processes if os.path.exists(f"/proc/{pid}") and not process_is_dead(pid)]

    assert code == 0
    assert stopped_after < 15, f"the qcluster took {stopped_after:.1f} s to stop"
    assert left == []


def test_monitor_killed_results_still_saved(cluster):
    """The monitor waits on the result queue's pipe, holding that queue's reader lock, when it is killed."""
    runs = Runs()
    sentinel, _workers_pids = _workers(cluster)
    runs.queue()
    assert runs.all_ran(30)
    monitor = wait_for(lambda: [pid for pid in children(sentinel)[WORKERS:] if reads_pipe(pid)], 10)
    assert monitor, "no monitor reads the result queue's pipe"

    _kill(monitor[:1])
    assert wait_for(lambda: monitor[0] not in children(sentinel), 15), f"the monitor {monitor[0]} still runs 15 s after SIGKILL"
    assert wait_for(lambda: len(children(sentinel)) == WORKERS + 2, 15), "the sentinel did not start a new monitor within 15 s"
    failing = f"failing-{uuid.uuid4().hex}"
    async_task("math.sqrt", -1, cluster=LANE, task_name=failing)

    assert wait_for(lambda: Task.objects.filter(name=failing, success=False).exists(), 20), (
        f"the failure of task {failing} was not saved within 20 s after the monitor {monitor[0]} was killed"
    )
