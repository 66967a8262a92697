"""Each request to a simulated system is logged once when Kontor's web server serves the sandbox.

A real development server (the request handler that runserver uses) serves Kontor on a loopback
port in a thread, and Kontor's Odoo client calls the simulated Odoo through it. The records are
taken from the handlers that config/settings.py's LOGGING installs, after their filters, so the
count is what `make run` prints.
"""

import logging
import sys
import threading

import pytest
import requests
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

from integrations.errors import AuthError
from integrations.models import Connection
from integrations.odoo.client import OdooClient
from integrations.sandbox.odoo import seed
from integrations.sandbox.requestlog import SkipSandboxRequests

# dictConfig names each handler after its key in LOGGING.
CONFIGURED_HANDLERS = ("console", "django.server")
SEARCH_PATH = "/sandbox/odoo/json/2/res.partner/search_read"


class CountingRequestHandler(WSGIRequestHandler):
    """Signal each fully handled request to the test.

    Django logs the access line after the response is sent, so a client can read the response
    before the line exists. The tests wait for this signal before they count lines.
    """

    def handle_one_request(self):
        super().handle_one_request()
        # One request per connection: a kept-alive connection would keep its handler thread, and
        # that thread's database session, open after the test, and the test database could not
        # be dropped at the end of the run.
        self.close_connection = True
        if self.raw_requestline:
            self.server.handled.release()


class WebServer:
    def __init__(self, server):
        self.server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"

    def wait_until_handled(self, count=1):
        for _ in range(count):
            assert self.server.handled.acquire(timeout=10), "the web server did not finish a request within 10 s"


@pytest.fixture
def web_server(transactional_db):
    """Serve Kontor as runserver does, on a free loopback port."""
    server = ThreadedWSGIServer(("127.0.0.1", 0), CountingRequestHandler, allow_reuse_address=True)
    server.handled = threading.Semaphore(0)
    server.set_app(WSGIHandler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield WebServer(server)
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def emitted(monkeypatch):
    """Collect the records that the configured handlers emit, instead of printing them."""
    records = []
    loggers = (logging.getLogger(), logging.getLogger("django.server"))
    handlers = [handler for logger in loggers for handler in logger.handlers if handler.name in CONFIGURED_HANDLERS]
    assert sorted(handler.name for handler in handlers) == sorted(CONFIGURED_HANDLERS)
    for handler in handlers:
        monkeypatch.setattr(handler, "emit", records.append)
    return records


@pytest.fixture(autouse=True)
def fresh_circuits():
    # Circuit breaker states are keyed by connection id, which repeats across tests.
    cache.clear()


def odoo_connection(base_url, api_key=seed.DEFAULT_API_KEY):
    connection = Connection(kind="odoo", name="Odoo sandbox", slug="odoo", base_url=f"{base_url}/sandbox/odoo", rate_limit_per_second=1000, rate_limit_burst=1000)
    connection.set_credentials({"database": seed.DEFAULT_DATABASE, "login": seed.DEFAULT_LOGIN, "api_key": api_key, "version": "19.0"})
    connection.save()
    return connection


def records_about(records, path):
    """Return the records that report a request to `path`, whichever side logged it."""
    found = []
    for record in records:
        if record.name == "integrations.http" and getattr(record, "path", "") == path:
            found.append(record)
        elif record.name == "django.server" and f" {path} " in record.getMessage():
            found.append(record)
        elif record.name == "django.request" and getattr(getattr(record, "request", None), "path", "") == path:
            found.append(record)
    return found


def test_sandbox_request_logged_once(web_server, emitted):
    client = OdooClient(odoo_connection(web_server.url))

    client.search_read("res.partner", [], ["name"])
    web_server.wait_until_handled()

    [record] = records_about(emitted, SEARCH_PATH)
    assert record.name == "integrations.http"
    assert record.getMessage() == "HTTP request finished"
    assert record.status == 200


def test_rejected_sandbox_request_logged_once(web_server, emitted):
    client = OdooClient(odoo_connection(web_server.url, api_key="wrong-key"))

    with pytest.raises(AuthError):
        client.search_read("res.partner", [], ["name"])
    web_server.wait_until_handled()

    [record] = records_about(emitted, SEARCH_PATH)
    assert record.name == "integrations.http"
    assert record.getMessage() == "HTTP request failed"
    assert record.status == 401


def test_kontor_request_keeps_access_line(web_server, emitted):
    response = requests.get(f"{web_server.url}/admin/login/", timeout=10)
    web_server.wait_until_handled()

    assert response.status_code == 200
    [record] = records_about(emitted, "/admin/login/")
    assert record.name == "django.server"


def test_sandbox_crash_keeps_traceback():
    request = type("Request", (), {"path": "/sandbox/odoo/jsonrpc"})()
    try:
        raise RuntimeError("simulated bug")
    except RuntimeError:
        crash = logging.makeLogRecord({"name": "django.request", "msg": "Internal Server Error", "request": request, "exc_info": sys.exc_info()})
    answered = logging.makeLogRecord({"name": "django.request", "msg": "Unauthorized", "request": request, "exc_info": None})

    assert SkipSandboxRequests().filter(crash) is True
    assert SkipSandboxRequests().filter(answered) is False
