"""Process helpers of the qcluster kill tests: children from /proc, pipe readers and clean-up."""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection as db_connection
from django_q.brokers import get_broker


def children(pid):
    """Return the ids of the processes whose parent is `pid`, read from /proc."""
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


def descendants(pid):
    result = []
    for child in children(pid):
        result += [child, *descendants(child)]
    return result


def reads_pipe(pid):
    """Return whether process `pid` blocks reading a pipe, as the worker holding the task queue's lock does."""
    try:
        return Path(f"/proc/{pid}/wchan").read_text().strip() in ("anon_pipe_read", "pipe_read")
    except OSError:
        return False


def wait_for(condition, timeout):
    """Return the first true value of `condition()` within `timeout` seconds, or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    return None


def kill_tree(process):
    """Kill `process` and every process below it with SIGKILL, and reap it."""
    for pid in [process.pid, *descendants(process.pid)]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait(timeout=10)


def start_lane_cluster(lane, workers, *, log_path=None, log_level="WARNING"):
    """Start `manage.py qcluster` for `lane` with `workers` workers against the test database.

    With `log_path` its log goes there as JSON lines, appended; without, it is discarded.
    """
    settings_dict = db_connection.settings_dict
    env = dict(
        os.environ,
        DATABASE_URL=f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}/{settings_dict['NAME']}",
        Q_CLUSTER_NAME=lane,
        DEBUG="false",
        LOG_LEVEL=log_level,
        **{f"LANE_{lane.upper()}_WORKERS": str(workers)},
    )
    command = [sys.executable, "manage.py", "qcluster"]
    if log_path is None:
        return subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(log_path, "ab") as log:
        return subprocess.Popen(command, cwd=settings.BASE_DIR, env={**env, "LOG_FORMAT": "json"}, stdout=subprocess.DEVNULL, stderr=log)


@contextmanager
def running_lane_cluster(lane, workers):
    """Run a qcluster of `lane` on an empty queue; kill its whole process tree and empty the queue afterwards."""
    get_broker(lane).purge_queue()
    process = start_lane_cluster(lane, workers)
    try:
        yield process
    finally:
        kill_tree(process)
        get_broker(lane).purge_queue()
