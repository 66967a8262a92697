"""Odoo calls that a stopping django-q2 cluster cuts short, so a lane stops within seconds.

A worker's task learns of a stop from core.taskqueue's flag only between its steps. One Odoo
call, however, can block for the client's whole read timeout (30 s) while Odoo hangs, and
scripts/run.py kills a lane that has not stopped 10 seconds after Ctrl-C. So while the main
thread of a cluster's worker waits for Odoo, a watcher thread checks the flag every
STOP_CHECK_SECONDS. Once the flag is set, it sends STOP_SIGNAL to the main thread, whose
handler raises in the waiting call. The call then fails with CallStopped, which the outbox
retries like any retryable error and the poll loops take as their stop.

The same watcher cuts a call short once the deadline that a task set with calls_end_by has
passed, with CallOverran, so a poll loop ends and hands over before django-q2 kills it at its
lane's timeout.

Only a worker's main thread is interrupted, because Python runs signal handlers there. Calls
in other threads and outside a cluster (web requests, commands, tests) run as before.
"""

import contextlib
import logging
import signal
import threading
import time

from django.utils.translation import gettext_lazy as _

from core import taskqueue
from core.taskqueue import STOP_CHECK_SECONDS, cluster_is_stopping
from integrations.errors import ConnectorError

logger = logging.getLogger(__name__)

# django-q2 1.11 uses SIGALRM for its task timeout and SIGINT and SIGTERM for stopping, but not
# SIGUSR1.
STOP_SIGNAL = signal.SIGUSR1


class CallStopped(ConnectorError):
    """An Odoo call cut short, or not started, because the worker's cluster is stopping.

    A cut call may have reached Odoo, as after a timeout, so it is retried like one. It is no
    sign of a problem with Odoo, so it opens no circuit and holds back no ordered stream.

    NOTE: the framework's scheduled pull records it like any failure, as a failed sync run with
    a sync error. The next successful read of the poll loop resolves that error.
    """

    code = "worker_stopped"
    retryable = True
    message_template = _(
        "The request to %(connection)s was cut short because Kontor's workers were stopping. "
        "Kontor retries it automatically."
    )


class CallOverran(CallStopped):
    """An Odoo call cut short, or not started, because its task reached the end of its time (see calls_end_by).

    django-q2 kills a task that runs past its lane's timeout, so the task stops its call first
    and can end cleanly. Like a stopped call it may have reached Odoo and is retried.
    """

    code = "task_time_limit"
    message_template = _(
        "The request to %(connection)s was cut short because its task reached its time limit. "
        "Kontor retries it automatically."
    )


class _Interrupted(BaseException):
    """Raised by the signal handler in the waiting call.

    A BaseException, like KeyboardInterrupt, so that requests and urllib3 pass it on instead of
    wrapping it, and urllib3 closes the connection that was cut.
    """


# Whether the main thread waits inside call_stop_bounded. Only the main thread sets it, and the
# signal handler, which runs in the main thread, reads it.
_waiting = False
_handler_installed = False
# The time.monotonic() value after which a waiting call is cut short as well, or None.
_call_deadline = None


@contextlib.contextmanager
def calls_end_by(deadline):
    """Cut short the Odoo calls of a cluster worker made inside the block once time.monotonic() passes `deadline`.

    They then raise CallOverran. Outside a cluster's worker the deadline is not enforced.
    """
    global _call_deadline
    previous = _call_deadline
    _call_deadline = deadline
    try:
        yield
    finally:
        _call_deadline = previous


def _past_deadline():
    return _call_deadline is not None and time.monotonic() >= _call_deadline


def _interrupt(signum, frame):
    # The call may have ended between the watcher's check and this signal, and then there is
    # nothing left to cut short.
    if _waiting:
        raise _Interrupted


def _in_cluster_worker():
    """Return whether this is the main thread of a django-q2 cluster's process."""
    # Only the main thread can take the signal that cuts a call short.
    return taskqueue.in_cluster_process() and threading.current_thread() is threading.main_thread()


def _watch(main_thread_id, finished):
    while not finished.wait(STOP_CHECK_SECONDS):
        if cluster_is_stopping() or _past_deadline():
            signal.pthread_kill(main_thread_id, STOP_SIGNAL)
            return


def call_stop_bounded(connection, description, call):
    """Return `call()`, but raise CallStopped once the worker's cluster stops while it waits.

    `connection` is the connection's name for the error, `description` names the call in logs.
    """
    global _waiting, _handler_installed

    if not _in_cluster_worker():
        return call()

    if cluster_is_stopping():
        logger.info("odoo call not started, worker stopping", extra={"connection": connection, "call": description})
        raise CallStopped(f"{description} not started: the worker is stopping", connection=connection)
    if _past_deadline():
        logger.info("odoo call not started, task at its time limit", extra={"connection": connection, "call": description})
        raise CallOverran(f"{description} not started: the task reached its time limit", connection=connection)

    if not _handler_installed:
        # Installed once and never restored: a signal that arrives after a call has ended
        # must find this handler, which ignores it, and not the default, which ends the process.
        signal.signal(STOP_SIGNAL, _interrupt)
        _handler_installed = True

    finished = threading.Event()
    watcher = threading.Thread(
        target=_watch, args=(threading.main_thread().ident, finished), name="odoo-stop-watcher", daemon=True
    )
    # The handler may raise anywhere until _waiting is False again, so the outer try catches it
    # even where the inner finally has only begun.
    try:
        _waiting = True
        watcher.start()
        try:
            return call()
        finally:
            _waiting = False
    except _Interrupted:
        _waiting = False
        if not cluster_is_stopping():
            logger.info("odoo call cut short, task at its time limit", extra={"connection": connection, "call": description})
            raise CallOverran(f"{description} cut short: the task reached its time limit", connection=connection) from None
        logger.info("odoo call cut short, worker stopping", extra={"connection": connection, "call": description})
        raise CallStopped(f"{description} cut short: the worker is stopping", connection=connection) from None
    finally:
        finished.set()
