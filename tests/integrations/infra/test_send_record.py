"""recording_sends: whether a request of one delivery attempt may have reached the remote system.

A shop cancellation withdraws an order's ERP message only when no attempt may have reached the
ERP. An attempt that only met an outage (no connection, 429, 503) sent nothing the ERP carried
out. Anything else (a response, a timeout, a dropped connection) may have created the order.
"""

import socket
import threading

import pytest
import requests
import responses

from integrations.errors import ConnectionFailed, ConnectorError, Timeout
from integrations.http import ConnectorHttpClient, recording_sends

BASE = "https://erp.example.com/api"


def erp(base=BASE):
    return ConnectorHttpClient("ERP", base, timeout=(0.5, 0.5))


def reached_after(*statuses, method="POST"):
    """Send one request per status in one recorded block; return the record's verdict."""
    with recording_sends() as sends:
        for _status in statuses:
            try:
                erp().request(method, "/orders", json={"number": "10087"})
            except ConnectorError:
                pass
    return sends.may_have_reached


@responses.activate
@pytest.mark.parametrize(
    ("statuses", "reached"),
    [
        ((503,), False),
        ((429,), False),
        ((503, 503, 429), False),
        ((201,), True),
        ((500,), True),
        ((502,), True),
        ((504,), True),
        ((422,), True),
        # A create that went through stays noted when the confirm meets the outage.
        ((201, 503), True),
    ],
)
def test_response_status_sets_flag(statuses, reached):
    for status in statuses:
        responses.post(f"{BASE}/orders", status=status)

    assert reached_after(*statuses) is reached


@responses.activate
def test_get_request_not_noted():
    responses.get(f"{BASE}/orders", status=200)

    assert reached_after(200, method="GET") is False


@responses.activate
def test_post_read_not_noted():
    # An API that reads with POST, such as Odoo's search_read, marks the request as a read.
    responses.post(f"{BASE}/orders/search", status=200)

    with recording_sends() as sends:
        erp().request("POST", "/orders/search", json={}, changes_remote=False)

    assert sends.may_have_reached is False


@responses.activate
def test_slow_503_may_have_reached(monkeypatch):
    # A proxy that returns 503 after its own timeout may have passed the request on.
    monkeypatch.setattr("integrations.http.TURNED_AWAY_WITHIN_SECONDS", 0.0)
    responses.post(f"{BASE}/orders", status=503)

    assert reached_after(503) is True


@responses.activate
def test_read_timeout_may_have_reached():
    responses.post(f"{BASE}/orders", body=requests.ReadTimeout("read timed out"))

    with recording_sends() as sends, pytest.raises(Timeout):
        erp().request("POST", "/orders", json={})

    assert sends.may_have_reached is True


def test_refused_connection_not_noted():
    # A port that was free a moment ago has no listener.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with recording_sends() as sends, pytest.raises(ConnectionFailed):
        erp(f"http://127.0.0.1:{port}").request("POST", "/orders", json={})

    assert sends.may_have_reached is False


@pytest.fixture
def dropping_server():
    """A server that reads the request and closes the connection without a response."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve():
        connection, _address = listener.accept()
        with connection:
            connection.recv(65536)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    listener.close()


def test_dropped_connection_may_have_reached(dropping_server):
    with recording_sends() as sends, pytest.raises(ConnectionFailed):
        erp(f"http://127.0.0.1:{dropping_server}").request("POST", "/orders", json={})

    assert sends.may_have_reached is True


@responses.activate
def test_request_outside_block_not_noted():
    responses.post(f"{BASE}/orders", status=201)
    erp().request("POST", "/orders", json={})

    with recording_sends() as sends:
        pass

    assert sends.may_have_reached is False
