"""Odoo calls in a cluster's worker: cut short once the cluster stops, untouched elsewhere.

The worker is simulated in this process by giving core.taskqueue a stop flag, as the cluster's
sentinel gives its forked workers. Odoo is a loopback socket that accepts and never responds.
"""

import multiprocessing
import signal
import socket
import threading
import time

import pytest

from core import taskqueue
from integrations.errors import Timeout
from integrations.models import SyncError
from integrations.odoo import stopping, tasks
from integrations.odoo.client import OdooClient
from integrations.odoo.stopping import CallOverran, CallStopped, call_stop_bounded
from tests.odoo.conftest import make_odoo_connection

pytestmark = pytest.mark.django_db


@pytest.fixture
def hanging_odoo():
    """Return the base URL of a loopback server that reads requests and never responds."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def accept():
        while True:
            try:
                client, _address = server.accept()
            except OSError:
                return
            accepted.append(client)

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    server.close()
    for client in accepted:
        client.close()


@pytest.fixture
def stop_flag(monkeypatch):
    """Make this process look like a cluster's worker; return its stop flag."""
    flag = multiprocessing.RawValue("b", 0)
    monkeypatch.setattr(taskqueue, "_cluster_stopping", flag)
    return flag


def stop_later(flag, seconds):
    timer = threading.Timer(seconds, lambda: setattr(flag, "value", 1))
    timer.start()
    return timer


def hanging_client(base_url, read_timeout):
    connection = make_odoo_connection()
    connection.base_url = base_url
    connection.save(update_fields=["base_url"])
    client = OdooClient(connection)
    client.http.timeout = (3.05, read_timeout)
    return client


def test_call_cut_short_on_stop(hanging_odoo, stop_flag):
    client = hanging_client(hanging_odoo, read_timeout=20)
    stop_later(stop_flag, 0.5)
    started = time.monotonic()

    with pytest.raises(CallStopped) as raised:
        client.search_read("stock.quant", [], ["quantity"])

    assert time.monotonic() - started < 2.0
    assert raised.value.retryable is True
    assert raised.value.connection_wide is False
    assert "cut short" in str(raised.value)


def test_call_not_started_when_stopping(hanging_odoo, stop_flag):
    client = hanging_client(hanging_odoo, read_timeout=20)
    stop_flag.value = 1
    started = time.monotonic()

    with pytest.raises(CallStopped) as raised:
        client.search_read("stock.quant", [], ["quantity"])

    assert time.monotonic() - started < 0.5
    assert "not started" in str(raised.value)


def test_call_outside_cluster_waits(hanging_odoo, monkeypatch):
    monkeypatch.setattr(taskqueue, "_cluster_stopping", None)
    client = hanging_client(hanging_odoo, read_timeout=1)

    with pytest.raises(Timeout) as raised:
        client.search_read("stock.quant", [], ["quantity"])

    assert not isinstance(raised.value, CallStopped)


def test_late_signal_ignored(stop_flag):
    assert call_stop_bounded("Odoo", "POST /json/2/res.users/context_get", lambda: "done") == "done"

    # A signal that arrives once the call has ended, as from a watcher that checked the flag
    # just before the call returned, changes nothing.
    signal.pthread_kill(threading.main_thread().ident, stopping.STOP_SIGNAL)
    time.sleep(0.05)

    assert call_stop_bounded("Odoo", "POST /json/2/res.users/context_get", lambda: "again") == "again"


def test_call_cut_short_at_deadline(hanging_odoo, stop_flag):
    client = hanging_client(hanging_odoo, read_timeout=20)
    started = time.monotonic()

    with stopping.calls_end_by(started + 0.5), pytest.raises(CallOverran) as raised:
        client.search_read("stock.quant", [], ["quantity"])

    assert time.monotonic() - started < 2.0
    assert raised.value.retryable is True
    assert raised.value.code == "task_time_limit"
    assert "cut short" in str(raised.value)
    assert stop_flag.value == 0


def test_call_not_started_past_deadline(hanging_odoo, stop_flag):
    client = hanging_client(hanging_odoo, read_timeout=20)

    with stopping.calls_end_by(time.monotonic() - 1), pytest.raises(CallOverran) as raised:
        client.search_read("stock.quant", [], ["quantity"])

    assert "not started" in str(raised.value)


def test_deadline_ends_with_block(stop_flag):
    with stopping.calls_end_by(time.monotonic() - 1):
        pass

    assert call_stop_bounded("Odoo", "POST /json/2/res.users/context_get", lambda: "done") == "done"


def test_poll_loop_hands_over_when_odoo_hangs(hanging_odoo, stop_flag, monkeypatch):
    # A step that waits for Odoo past the loop's deadline is cut short, and the loop queues its
    # successor instead of running into the lane's timeout.
    connection = make_odoo_connection()
    connection.base_url = hanging_odoo
    connection.save(update_fields=["base_url"])
    monkeypatch.setattr(tasks, "CALL_GRACE_SECONDS", 0.5)
    queued = []
    monkeypatch.setattr(tasks, "async_task", lambda func, connection_id, seconds, kind, cluster: queued.append(kind))
    started = time.monotonic()

    outcome = tasks.poll_loop(connection.pk, seconds=0.3, kind=tasks.ORDERS_LOOP)

    assert outcome == "continued"
    assert time.monotonic() - started < 3.0
    assert queued == [tasks.ORDERS_LOOP]
    assert SyncError.objects.filter(connection=connection).count() == 0
