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
from integrations.odoo import stopping
from integrations.odoo.client import OdooClient
from integrations.odoo.stopping import CallStopped, call_stop_bounded
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
