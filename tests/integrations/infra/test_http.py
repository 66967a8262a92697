import json
import logging
import socket
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import responses
from django.conf import settings as django_settings
from responses import matchers

from core.logging import JsonFormatter
from integrations.circuit import CircuitBreaker
from integrations.errors import (
    AuthError,
    CircuitOpen,
    Conflict,
    ConnectionFailed,
    InvalidResponse,
    NotFound,
    RateLimited,
    RequestRejected,
    ServerError,
    Timeout,
    Unavailable,
    ValidationFailed,
)
from integrations.http import ConnectorHttpClient
from integrations.ratelimit import RateLimiter
from integrations.retry import RetryPolicy

BASE = "https://shop.example.com/api"
TOKEN = "shpat_0123456789abcdef0123456789abXYZ9"
EMAIL = "erika.mustermann@example.org"


def client(**kwargs):
    return ConnectorHttpClient("Shop DE", BASE, **kwargs)


def quick_policy(max_attempts=4):
    return RetryPolicy(base=0.01, cap=0.05, max_attempts=max_attempts, total_window=60.0)


@responses.activate
def test_expected_status_returns_response():
    responses.get(f"{BASE}/products/1", json={"id": 1})

    response = client().request("GET", "/products/1")

    assert response.status_code == 200
    assert response.json() == {"id": 1}


@pytest.mark.parametrize(
    ("status", "error_class", "retryable"),
    [
        (401, AuthError, False),
        (403, AuthError, False),
        (404, NotFound, False),
        (400, ValidationFailed, False),
        (422, ValidationFailed, False),
        (409, Conflict, True),
        (429, RateLimited, True),
        (405, RequestRejected, False),
        (410, RequestRejected, False),
        (500, ServerError, True),
        (502, Unavailable, True),
        (503, Unavailable, True),
        (504, Unavailable, True),
    ],
)
@responses.activate
def test_status_maps_to_error(status, error_class, retryable):
    responses.post(f"{BASE}/orders", status=status, json={})

    with pytest.raises(error_class) as caught:
        client().request("POST", "orders", json={"sku": "A-1"})

    assert type(caught.value) is error_class
    assert caught.value.status == status
    assert caught.value.retryable is retryable
    assert caught.value.connection == "Shop DE"
    assert str(caught.value).startswith(f"POST /api/orders returned HTTP {status}")


@responses.activate
def test_unexpected_success_status_is_invalid_response():
    responses.get(f"{BASE}/products", status=204)

    with pytest.raises(InvalidResponse):
        client().request("GET", "products", expected=(200,))


@responses.activate
def test_rate_limited_carries_retry_after_seconds():
    responses.get(f"{BASE}/products", status=429, headers={"Retry-After": "17"})

    with pytest.raises(RateLimited) as caught:
        client().request("GET", "products")

    assert caught.value.retry_after == 17.0


@responses.activate
def test_rate_limited_carries_retry_after_http_date():
    responses.get(f"{BASE}/products", status=429, headers={"Retry-After": "Fri, 01 Jan 2100 00:00:00 GMT"})

    with pytest.raises(RateLimited) as caught:
        client().request("GET", "products")

    assert caught.value.retry_after > 365 * 24 * 3600


@responses.activate
def test_validation_failed_carries_field_errors():
    body = {"code": 422, "errors": [{"property": "price", "message": "must be positive"}]}
    responses.patch(f"{BASE}/products/A-1", status=422, json=body)

    with pytest.raises(ValidationFailed) as caught:
        client().request("PATCH", "products/A-1", json={"price": -1})

    assert caught.value.field_errors == {"price": ["must be positive"]}
    assert str(caught.value) == "PATCH /api/products/A-1 returned HTTP 422 for fields ['price']"


@responses.activate
def test_validation_failed_with_html_body():
    responses.post(f"{BASE}/orders", status=400, body="<html>Bad Request</html>")

    with pytest.raises(ValidationFailed) as caught:
        client().request("POST", "orders")

    assert caught.value.field_errors == {}


@responses.activate
def test_request_json_rejects_html():
    responses.get(f"{BASE}/products", body="<html>Login</html>", content_type="text/html")

    with pytest.raises(InvalidResponse) as caught:
        client().request_json("GET", "products")

    assert str(caught.value) == "GET /api/products returned a body that is not JSON (Content-Type text/html)"


@responses.activate
def test_request_json_returns_body():
    responses.get(f"{BASE}/products", json=[{"id": 1}])

    assert client().request_json("GET", "products") == [{"id": 1}]


@responses.activate
def test_sends_idempotency_key_and_default_headers():
    responses.post(
        f"{BASE}/refunds",
        json={},
        match=[matchers.header_matcher({"Idempotency-Key": "msg-42", "Accept": "application/json"})],
    )

    client(default_headers={"Accept": "application/json"}).request("POST", "refunds", idempotency_key="msg-42")

    assert len(responses.calls) == 1


@responses.activate
def test_custom_idempotency_header():
    responses.post(f"{BASE}/v2/checkout/orders", json={}, match=[matchers.header_matcher({"PayPal-Request-Id": "msg-7"})])

    client(idempotency_header="PayPal-Request-Id").request("POST", "v2/checkout/orders", idempotency_key="msg-7")

    assert len(responses.calls) == 1


@responses.activate
def test_pagination_link_on_same_host():
    responses.get(f"{BASE}/products?page=2", json=[])

    client().request("GET", f"{BASE}/products?page=2")

    assert responses.calls[0].request.url == f"{BASE}/products?page=2"


def test_pagination_link_on_other_host_rejected():
    with pytest.raises(ValueError, match="is not on Shop DE's host shop.example.com"):
        client().request("GET", "https://evil.example.net/products")


def test_rejects_missing_timeout_and_bad_base_url():
    with pytest.raises(ValueError, match="timeout must be set for Shop DE"):
        ConnectorHttpClient("Shop DE", BASE, timeout=None)
    with pytest.raises(ValueError, match="base URL 'shop.example.com' of Shop DE must start with https://"):
        ConnectorHttpClient("Shop DE", "shop.example.com")


@responses.activate
def test_retries_honour_retry_after_seconds():
    # given a remote that throttles twice with Retry-After: 3
    responses.get(f"{BASE}/products", status=429, headers={"Retry-After": "3"})
    responses.get(f"{BASE}/products", status=429, headers={"Retry-After": "3"})
    responses.get(f"{BASE}/products", json=[])
    waits = []

    # when the caller asks with retries
    response = client().request_with_retries("GET", "products", policy=quick_policy(), sleep=waits.append)

    # then it waited at least 3 s before each retry and then succeeded
    assert response.status_code == 200
    assert len(responses.calls) == 3
    assert len(waits) == 2
    assert all(wait >= 3.0 for wait in waits)


@responses.activate
def test_retries_honour_retry_after_http_date():
    responses.get(f"{BASE}/products", status=503, headers={"Retry-After": "Fri, 01 Jan 2100 00:00:00 GMT"})
    waits = []

    # a date decades away is past the total window, so the error is raised without waiting
    with pytest.raises(ServerError):
        client().request_with_retries("GET", "products", policy=quick_policy(), sleep=waits.append)

    assert waits == []
    assert len(responses.calls) == 1


@responses.activate
def test_retries_5xx_until_max_attempts():
    responses.get(f"{BASE}/products", status=502)
    waits = []

    with pytest.raises(ServerError):
        client().request_with_retries("GET", "products", policy=quick_policy(max_attempts=4), sleep=waits.append)

    assert len(responses.calls) == 4
    assert len(waits) == 3
    assert all(0.0 <= wait <= 0.05 for wait in waits)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
@responses.activate
def test_retry_stops_on_4xx(status):
    responses.get(f"{BASE}/products", status=status)
    waits = []

    with pytest.raises(Exception) as caught:
        client().request_with_retries("GET", "products", policy=quick_policy(), sleep=waits.append)

    assert caught.value.status == status
    assert len(responses.calls) == 1
    assert waits == []


@responses.activate
def test_retry_409_conflict():
    responses.put(f"{BASE}/stock/A-1", status=409)
    responses.put(f"{BASE}/stock/A-1", json={})

    response = client().request_with_retries("PUT", "stock/A-1", policy=quick_policy(), sleep=lambda _: None)

    assert response.status_code == 200
    assert len(responses.calls) == 2


@responses.activate
def test_post_without_idempotency_key_not_retried_on_5xx():
    responses.post(f"{BASE}/orders", status=500)

    with pytest.raises(ServerError):
        client().request_with_retries("POST", "orders", policy=quick_policy(), sleep=lambda _: None)

    assert len(responses.calls) == 1


@responses.activate
def test_post_with_idempotency_key_retried_on_5xx():
    responses.post(f"{BASE}/orders", status=500)
    responses.post(f"{BASE}/orders", json={"id": 9})

    response = client().request_with_retries(
        "POST", "orders", idempotency_key="msg-1", policy=quick_policy(), sleep=lambda _: None
    )

    assert response.json() == {"id": 9}
    assert [call.request.headers["Idempotency-Key"] for call in responses.calls] == ["msg-1", "msg-1"]


@responses.activate
def test_post_without_idempotency_key_retried_on_429():
    responses.post(f"{BASE}/orders", status=429, headers={"Retry-After": "1"})
    responses.post(f"{BASE}/orders", json={})

    client().request_with_retries("POST", "orders", policy=quick_policy(), sleep=lambda _: None)

    assert len(responses.calls) == 2


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs Redis; the suite runs without REDIS_URL")
@responses.activate
def test_circuit_opens_and_blocks_requests():
    # given a breaker that opens after two failures
    responses.get(f"{BASE}/products", status=503)
    breaker = CircuitBreaker(f"test-{uuid.uuid4().hex}", failure_threshold=2, reset_timeout=60)
    http = client(circuit_breaker=breaker)

    # when two calls fail
    for _ in range(2):
        with pytest.raises(ServerError):
            http.request("GET", "products")

    # then the third is not sent
    with pytest.raises(CircuitOpen) as caught:
        http.request("GET", "products")
    assert len(responses.calls) == 2
    assert 59.0 < caught.value.retry_after <= 60.0


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs Redis; the suite runs without REDIS_URL")
@responses.activate
def test_4xx_does_not_count_towards_circuit():
    responses.get(f"{BASE}/products/9", status=404)
    breaker = CircuitBreaker(f"test-{uuid.uuid4().hex}", failure_threshold=1, reset_timeout=60)
    http = client(circuit_breaker=breaker)

    for _ in range(3):
        with pytest.raises(NotFound):
            http.request("GET", "products/9")

    assert breaker.state == "closed"
    assert len(responses.calls) == 3


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs Redis; the suite runs without REDIS_URL")
@responses.activate
def test_rate_limiter_without_capacity_raises_before_sending():
    responses.get(f"{BASE}/products", json=[])
    limiter = RateLimiter(f"test-{uuid.uuid4().hex}", rate_per_second=0.01, burst=1)
    http = client(rate_limiter=limiter, rate_limit_wait=0.05)

    http.request("GET", "products")
    with pytest.raises(RateLimited) as caught:
        http.request("GET", "products")

    assert caught.value.status is None
    assert len(responses.calls) == 1


@responses.activate
def test_logs_mask_secrets_and_personal_data(caplog):
    # given a request with a token, an e-mail in the path, query and body, and a 422 echoing it
    caplog.set_level(logging.DEBUG, logger="integrations.http")
    responses.post(
        f"{BASE}/customers/{EMAIL}",
        status=422,
        json={"errors": [{"property": "email", "message": f"{EMAIL} is already taken"}]},
    )
    http = client(default_headers={"X-Shopify-Access-Token": TOKEN})

    # when the call fails
    with pytest.raises(ValidationFailed) as caught:
        http.request(
            "POST",
            f"customers/{EMAIL}",
            params={"email": EMAIL, "api_key": TOKEN},
            json={"email": EMAIL, "password": TOKEN},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )

    # then neither the token nor the e-mail is in any log line, message or extra field
    formatter = JsonFormatter()
    logged = caplog.text + "\n".join(formatter.format(record) for record in caplog.records)
    assert [record.getMessage() for record in caplog.records] == ["HTTP request started", "HTTP request failed"]
    assert TOKEN not in logged
    assert EMAIL not in logged
    assert "erika" not in logged
    assert TOKEN not in str(caught.value)
    assert EMAIL not in str(caught.value)
    # the token's last four characters identify it without revealing it
    assert "****XYZ9" in logged


@responses.activate
def test_log_line_has_context(caplog):
    caplog.set_level(logging.INFO, logger="integrations.http")
    responses.get(f"{BASE}/products", json=[])

    client().request("GET", "products", params={"page": 2})

    record = caplog.records[-1]
    assert record.getMessage() == "HTTP request finished"
    assert (record.connection, record.method, record.path, record.status) == ("Shop DE", "GET", "/api/products", 200)
    assert record.duration_ms >= 0


class SlowHandler(BaseHTTPRequestHandler):
    """Responds after the server's delay, or at once when the delay is 0."""

    # HTTP/1.1 keeps the connection open between requests, as real APIs do.
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.server.hits += 1
        self.server.client_ports.add(self.client_address[1])
        self.server.release.wait(self.server.delay)
        body = json.dumps({"ok": True}).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up after its read timeout

    def log_message(self, format, *args):
        pass


@pytest.fixture
def slow_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowHandler)
    server.daemon_threads = True
    server.hits = 0
    server.client_ports = set()
    server.delay = 2.0
    server.release = threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def test_read_timeout_raises_timeout(slow_server):
    http = ConnectorHttpClient("ERP", f"http://127.0.0.1:{slow_server.server_port}", timeout=(1.0, 0.2))

    with pytest.raises(Timeout) as caught:
        http.request("GET", "stock")

    assert str(caught.value) == "GET /stock timed out (ReadTimeout)"
    assert caught.value.__cause__ is None
    assert slow_server.hits == 1


def test_read_timeout_retried_then_succeeds(slow_server):
    http = ConnectorHttpClient("ERP", f"http://127.0.0.1:{slow_server.server_port}", timeout=(1.0, 0.2))
    waits = []

    def sleep_and_heal(seconds):
        waits.append(seconds)
        slow_server.delay = 0

    response = http.request_with_retries("GET", "stock", policy=quick_policy(), sleep=sleep_and_heal)

    assert response.json() == {"ok": True}
    assert slow_server.hits == 2
    assert len(waits) == 1


def test_refused_connection_raises_connection_failed():
    # a port that was free a moment ago has no listener
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    http = ConnectorHttpClient("ERP", f"http://127.0.0.1:{port}", timeout=(0.5, 0.5))

    with pytest.raises(ConnectionFailed) as caught:
        http.request("GET", f"stock?token_auth={TOKEN}")

    assert str(caught.value) == "GET /stock failed to connect (ConnectionError)"
    assert TOKEN not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ is True


def test_session_keeps_connection_open(slow_server):
    slow_server.delay = 0
    http = ConnectorHttpClient("ERP", f"http://127.0.0.1:{slow_server.server_port}")

    http.request("GET", "stock/1")
    http.request("GET", "stock/2")

    assert slow_server.hits == 2
    assert len(slow_server.client_ports) == 1


def test_clients_do_not_share_connections(slow_server):
    slow_server.delay = 0
    url = f"http://127.0.0.1:{slow_server.server_port}"

    ConnectorHttpClient("ERP 1", url).request("GET", "stock/1")
    ConnectorHttpClient("ERP 2", url).request("GET", "stock/1")

    assert len(slow_server.client_ports) == 2
