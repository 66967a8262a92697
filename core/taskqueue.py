"""A task queue for django-q2's clusters that survives a worker killed while it waits for a task.

django-q2 hands tasks from its pusher to its workers through one multiprocessing queue. The
idle worker that waits for the next task holds the queue's reader lock while it blocks on the
pipe, and the others wait for that lock. A worker killed at that moment (the OOM killer, an
operator's SIGKILL) never releases the lock, so every other worker, and every new worker the
sentinel starts, waits for ever: the lane stops until its qcluster is restarted.

RecoverableQueue records which process has the reader lock. A worker that has waited for the
lock longer than HOLDER_CHECK_SECONDS checks that process and takes the lock over when it is
dead. An idle worker is killed while it blocks before the first byte of the next task, so the
pipe is left intact.

NOTE: a worker killed in the microseconds between reading a message's length and its bytes
would leave the pipe out of step, and one killed while it counts the queue's size would keep
that counter's lock. Neither was seen in the kill tests; both would stop the lane as before.
The writer lock is not taken over: a worker killed while it sends a result keeps it, and the
monitor then saves no result of the cluster's other workers. Taking it over is not safe,
because the dead writer may have left half a message in the pipe.

StopAnnouncingSentinel lets a long task see that its cluster has begun to stop
(cluster_is_stopping), so that the task can return instead of running until it is killed.
"""

import logging
import multiprocessing
import os
import time

from django_q import cluster
from django_q.queues import Queue

logger = logging.getLogger(__name__)

# How long a worker waits for the reader lock before it checks whether the holder still lives.
HOLDER_CHECK_SECONDS = 2.0

# Checks in a row that find the lock held but no holder recorded, before the lock counts as lost.
# A live holder records itself right after it takes the lock, so one such check is normal.
UNRECORDED_HOLDER_CHECKS = 3


def process_is_dead(pid):
    """Return whether process `pid` has ended, counting a zombie (not yet reaped) as ended."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            text = stat.read()
    except FileNotFoundError:
        return True
    except OSError:
        # Without /proc, ask the kernel. A zombie then counts as alive until it is reaped.
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False
    state = text[text.rindex(")") + 2:].split()[0]
    return state in ("Z", "X")


class RecoveringLock:
    """The queue's reader lock, with the id of the process that has it and the takeover step."""

    def __init__(self, lock, holder, guard):
        self.lock = lock
        self.holder = holder
        self.guard = guard

    def acquire(self, block=True, timeout=None):
        if not block:
            return self._record_holder(self.lock.acquire(False))
        deadline = None if timeout is None else time.monotonic() + timeout
        unrecorded = 0
        while True:
            wait = HOLDER_CHECK_SECONDS
            if deadline is not None:
                wait = min(wait, max(deadline - time.monotonic(), 0))
            if self.lock.acquire(True, wait):
                return self._record_holder(True)
            if deadline is not None and time.monotonic() >= deadline:
                return False

            unrecorded = unrecorded + 1 if self.holder.value == 0 else 0
            if self._take_if_lost(unrecorded):
                return self._record_holder(True)

    def release(self):
        self.holder.value = 0
        self.lock.release()

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc_info):
        self.release()

    def _record_holder(self, acquired):
        if acquired:
            self.holder.value = os.getpid()
        return acquired

    def _take_if_lost(self, unrecorded):
        """Take the lock over when its holder died, or when no holder was recorded for several checks.

        The result is whether this process has the lock now. The guard lets one waiter at a
        time look, so two waiters never take over the same lost lock.
        """
        if not self.guard.acquire(True, HOLDER_CHECK_SECONDS):
            return False
        try:
            # The lock may have become free since this waiter's last try. The holder is recorded
            # before the guard is released, or the next waiter would still see the dead holder.
            if self.lock.acquire(False):
                return self._record_holder(True)
            pid = self.holder.value
            if pid and not process_is_dead(pid):
                return False
            if not pid and unrecorded < UNRECORDED_HOLDER_CHECKS:
                return False
            # The dead holder can never release the lock, so this process takes it over as it is.
            logger.warning(
                "task queue reader lock taken over, its holder died",
                extra={"holder_pid": pid or None, "worker_pid": os.getpid()},
            )
            return self._record_holder(True)
        finally:
            self.guard.release()


class RecoverableQueue(Queue):
    """django-q2's task queue, whose reader lock is taken over when the process that has it dies."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._holder = multiprocessing.RawValue("i", 0)
        self._guard = multiprocessing.Lock()
        self._rlock = RecoveringLock(self._rlock, self._holder, self._guard)

    def __getstate__(self):
        # A spawned process gets the plain lock and wraps it again in __setstate__.
        recovering = self._rlock
        self._rlock = recovering.lock
        try:
            return super().__getstate__() + (self._holder, self._guard)
        finally:
            self._rlock = recovering

    def __setstate__(self, state):
        super().__setstate__(state[:-2])
        self._holder, self._guard = state[-2:]
        self._rlock = RecoveringLock(self._rlock, self._holder, self._guard)


# How often a task that waits checks whether its cluster is stopping.
STOP_CHECK_SECONDS = 0.1

# The stop flag of the cluster that this process belongs to. StopAnnouncingSentinel creates it
# before it forks its workers, pusher and monitor, so they inherit it. None in other processes.
_cluster_stopping = None


def in_cluster_process():
    """Return whether this process belongs to a django-q2 cluster (a worker, its pusher or monitor)."""
    return _cluster_stopping is not None


def cluster_is_stopping():
    """Return whether the django-q2 cluster that runs this worker process has begun to stop.

    Always False outside a cluster's worker: in the web server, a management command, a test.
    """
    return _cluster_stopping is not None and bool(_cluster_stopping.value)


def sleep_unless_cluster_stops(seconds):
    """Sleep for `seconds`, but wake within STOP_CHECK_SECONDS once the cluster begins to stop.

    Returns whether the cluster is stopping. Outside a cluster's worker it is time.sleep.
    """
    if not in_cluster_process():
        time.sleep(seconds)
        return False

    deadline = time.monotonic() + seconds
    while not cluster_is_stopping():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(remaining, STOP_CHECK_SECONDS))
    return True


class StopAnnouncingSentinel(cluster.Sentinel):
    """django-q2's sentinel, which also sets a stop flag that the tasks of its workers can read.

    In django-q2 1.11 a worker learns of the stop only from the STOP message that the sentinel
    puts in the task queue after the pusher has stopped, and it reads that message only after
    its current task returns. Without this flag, a long task such as an Odoo poll loop ran on
    until its own end or until the process was killed.

    The flag is a shared value without a lock, because a worker killed while it held the lock of
    a multiprocessing.Event would block every later reader, the sentinel's stop included.

    NOTE: a worker inherits the flag only when the sentinel forks it, which django-q2 does
    wherever the "fork" start method exists. With "spawn", cluster_is_stopping() stays False.
    """

    def __init__(self, *args, **kwargs):
        global _cluster_stopping
        # super().__init__ forks the workers, then guards them until the cluster stops.
        _cluster_stopping = multiprocessing.RawValue("b", 0)
        super().__init__(*args, **kwargs)

    def stop(self):
        # The guard calls stop() as soon as the cluster's stop event is set, before it stops
        # the pusher and queues the workers' STOP messages.
        _cluster_stopping.value = 1
        super().stop()


def install():
    """Make django-q2's clusters use RecoverableQueue and StopAnnouncingSentinel."""
    cluster.Queue = RecoverableQueue
    cluster.Sentinel = StopAnnouncingSentinel
