"""The lane task queue's reader lock when the process holding it dies or lives on.

Each case forks a process that takes the reader lock as an idle django-q2 worker does, then
kills it with SIGKILL or lets it hold on. tests/e2e/test_lane_worker_kill.py runs the same case
in a real qcluster.
"""

import multiprocessing
import os
import queue
import signal

import pytest

from core import taskqueue
from core.taskqueue import RecoverableQueue, process_is_dead


@pytest.fixture(autouse=True)
def quick_checks(monkeypatch):
    monkeypatch.setattr(taskqueue, "HOLDER_CHECK_SECONDS", 0.2)


def hold_reader_lock(task_queue, locked, record_holder):
    if record_holder:
        task_queue._rlock.acquire()
    else:
        # As if killed after it took the lock and before it recorded itself.
        task_queue._rlock.lock.acquire()
    locked.set()
    signal.pause()


def start_holder(task_queue, *, record_holder=True):
    locked = multiprocessing.Event()
    holder = multiprocessing.Process(target=hold_reader_lock, args=(task_queue, locked, record_holder), daemon=True)
    holder.start()
    assert locked.wait(10), "the holder process did not take the reader lock within 10 s"
    return holder


def kill(process):
    os.kill(process.pid, signal.SIGKILL)
    process.join(10)


def test_lock_of_killed_holder_taken_over():
    task_queue = RecoverableQueue()
    holder = start_holder(task_queue)
    kill(holder)

    task_queue.put("task")

    assert task_queue.get(timeout=10) == "task"
    assert task_queue._holder.value == 0


def test_lock_without_recorded_holder_taken_over():
    task_queue = RecoverableQueue()
    holder = start_holder(task_queue, record_holder=False)
    kill(holder)

    task_queue.put("task")

    assert task_queue.get(timeout=10) == "task"


def test_lock_of_live_holder_kept():
    task_queue = RecoverableQueue()
    holder = start_holder(task_queue)
    task_queue.put("task")

    with pytest.raises(queue.Empty):
        task_queue.get(timeout=1)

    assert task_queue._holder.value == holder.pid
    kill(holder)
    assert task_queue.get(timeout=10) == "task"


def test_zombie_counts_as_dead():
    child = multiprocessing.Process(target=os._exit, args=(0,))
    child.start()
    # Wait for the exit without reaping, so the child stays a zombie until join.
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)

    assert process_is_dead(child.pid)
    assert not process_is_dead(os.getpid())
    child.join(10)
