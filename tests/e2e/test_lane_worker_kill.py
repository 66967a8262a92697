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
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection as db_connection
from django_q.brokers import get_broker
from django_q.tasks import async_task

LANE = "hot"
WORKERS = 2


def _children(pid):
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2:].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def _descendants(pid):
    result = []
    for child in _children(pid):
        result += [child, *_descendants(child)]
    return result


def _reads_pipe(pid):
    try:
        return Path(f"/proc/{pid}/wchan").read_text().strip() in ("anon_pipe_read", "pipe_read")
    except OSError:
        return False


def _wait_for(condition, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    return None


def _run_marker_task(timeout):
    """Queue a task that sets a cache key; return whether the cluster ran it within `timeout` seconds."""
    key = f"lane-kill-test:{uuid.uuid4().hex}"
    async_task("django.core.cache.cache.set", key, "done", 60, cluster=LANE)
    return _wait_for(lambda: cache.get(key) == "done", timeout) is not None


@pytest.fixture
def cluster():
    """Start a qcluster of the hot lane with two workers; kill its whole process tree afterwards."""
    get_broker(LANE).purge_queue()
    settings_dict = db_connection.settings_dict
    env = dict(
        os.environ,
        DATABASE_URL=f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}/{settings_dict['NAME']}",
        Q_CLUSTER_NAME=LANE,
        LANE_HOT_WORKERS=str(WORKERS),
        DEBUG="false",
        LOG_LEVEL="WARNING",
    )
    process = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"], cwd=settings.BASE_DIR, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        for pid in [process.pid, *_descendants(process.pid)]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait(timeout=10)
        get_broker(LANE).purge_queue()


@pytest.mark.postgres
@pytest.mark.skipif(not settings.REDIS_URL, reason="the lane's queue is a Redis list")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("victim", ["reading the pipe", "waiting for the lock"])
def test_lane_runs_tasks_after_idle_worker_killed(cluster, victim):
    sentinel = _wait_for(lambda: _children(cluster.pid)[:1], 30)
    assert sentinel, "the qcluster started no sentinel within 30 s"
    sentinel = sentinel[0]
    # The sentinel starts its workers first, then the monitor and the pusher. The monitor reads
    # a pipe too (the result queue's), so only the workers are looked at.
    assert _wait_for(lambda: len(_children(sentinel)) == WORKERS + 2, 30)
    workers = _children(sentinel)[:WORKERS]
    assert _run_marker_task(timeout=30), "the cluster ran no task before any worker was killed"

    reader = _wait_for(lambda: [pid for pid in workers if _reads_pipe(pid)], 10)
    assert reader, "no idle worker reads the task queue's pipe"
    # With two workers, the one not reading the pipe waits for the reader lock.
    victim_pid = reader[0] if victim == "reading the pipe" else next(pid for pid in workers if pid != reader[0])
    os.kill(victim_pid, signal.SIGKILL)
    assert _wait_for(lambda: victim_pid not in _children(sentinel), 15), f"worker {victim_pid} still runs 15 s after SIGKILL"
    assert _wait_for(lambda: len(_children(sentinel)) == WORKERS + 2, 15), "the sentinel did not start a new worker within 15 s"

    assert _run_marker_task(timeout=10), (
        f"the {LANE} lane ran no task within 10 s after its idle worker {victim_pid} ({victim}) was killed"
    )
