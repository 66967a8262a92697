"""config.asgi serves cached product reads on the event loop exactly as the full stack does.

Requests go through the ASGI application: apiclients.asgi in front of Django behind a2wsgi's
thread pool. Its threads open their own database connections, so these tests commit their
data (transaction=True). The full-stack responses to compare with come from Django's test
client with both fast paths taken out of the middleware.
"""

import threading
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import override_settings

from apiclients import cache as response_cache
from catalog.models import Warehouse
from catalog.services.stock import record_on_hand
from tests.api.conftest import (
    asgi_get,
    asgi_run,
    make_client,
    needs_redis,
    new_token,
    record_fast_path_builds,
)
from tests.asgi_client import send_requests

pytestmark = [pytest.mark.django_db(transaction=True), needs_redis]

FAST_PATH = "apiclients.fastpath.CachedProductMiddleware"
PER_REQUEST_HEADERS = {"x-request-id"}


@pytest.fixture
def served_on_loop(monkeypatch):
    """Paths of the responses built on the event loop's thread (this test's thread)."""
    return record_fast_path_builds(monkeypatch, threading.current_thread())


def full_stack(channel, price_list, requests, **client_fields):
    """The last of `requests` sent through Django's test client without either fast path."""
    middleware = [name for name in settings.MIDDLEWARE if name != FAST_PATH]
    with override_settings(MIDDLEWARE=middleware):
        _client, http = make_client(channel, price_list=price_list, **client_fields)
        for path, headers in requests:
            response = http.get(path, **{"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()})
    headers = {name.lower(): value for name, value in response.headers.items()}
    return response.status_code, headers, response.content


def comparable(result):
    status, headers, body = result
    return status, {name: value for name, value in headers.items() if name not in PER_REQUEST_HEADERS}, body


def test_simple_detail_served_on_loop(asgi_app, channel, price_list, catalog, served_on_loop):
    path = f"/api/v1/products/{catalog.tripod.pk}/"

    results = asgi_run(asgi_app, channel, price_list, [(path, {})] * 3)

    # The first read is a miss in the full stack, which stores the response; the rest are hits.
    assert served_on_loop == [path, path]
    assert [status for status, _headers, _body in results] == [200, 200, 200]
    assert len(results[2][1]["x-request-id"]) == 32
    assert comparable(results[2]) == comparable(full_stack(channel, price_list, [(path, {})] * 2))


def test_variant_detail_served_on_loop(asgi_app, channel, price_list, catalog, served_on_loop):
    path = f"/api/v1/products/{catalog.red.pk}/"

    results = asgi_run(asgi_app, channel, price_list, [(path, {})] * 3)

    # The full stack remembers the variants' versions when it stores the detail, so the
    # second read gets them in its one round trip.
    assert served_on_loop == [path, path]
    assert results[1][2] == results[2][2]
    assert comparable(results[2]) == comparable(full_stack(channel, price_list, [(path, {})] * 2))


def test_unremembered_variants_read_separately(asgi_app, channel, price_list, catalog, served_on_loop):
    path = f"/api/v1/products/{catalog.red.pk}/"
    token = new_token(channel, price_list)
    asgi_get(asgi_app, token, [(path, {})])
    # As after a restart of a process that did not store the entry.
    response_cache._remembered_versions.clear()

    results = asgi_get(asgi_app, token, [(path, {})] * 2)

    # The first read needs a second round trip for the variants' versions, also on the loop,
    # and remembers them. The next read gets them with the entry.
    assert served_on_loop == [path, path]
    assert results[0][2] == results[1][2]
    remembered = [key for versions in response_cache._remembered_versions.values() for key in versions]
    assert response_cache.product_version_key(catalog.blue.pk) in remembered


def test_stale_variant_hands_on(asgi_app, channel, price_list, catalog, served_on_loop):
    path = f"/api/v1/products/{catalog.red.pk}/"
    token = new_token(channel, price_list)
    before = asgi_get(asgi_app, token, [(path, {})] * 2)[1]

    record_on_hand(catalog.blue, Warehouse.objects.get(code="main"), Decimal(10))
    after = asgi_get(asgi_app, token, [(path, {})])[0]

    assert served_on_loop == [path]
    assert after[0] == 200
    assert after[2] != before[2]
    assert after[2] == full_stack(channel, price_list, [(path, {})])[2]


def test_german_detail_same_as_full_stack(asgi_app, channel, price_list, catalog, served_on_loop):
    path = f"/api/v1/products/{catalog.tripod.pk}/"
    german = {"Accept-Language": "de-DE,de;q=0.9"}

    results = asgi_run(asgi_app, channel, price_list, [(path, german)] * 2)

    assert served_on_loop == [path]
    assert results[1][1]["content-language"] == "de"
    assert b'"Stativ"' in results[1][2]
    assert comparable(results[1]) == comparable(full_stack(channel, price_list, [(path, german)] * 2))


def test_list_hit_same_as_full_stack(asgi_app, channel, price_list, catalog, served_on_loop):
    target = "/api/v1/products/?in_stock=true&page_size=1"

    results = asgi_run(asgi_app, channel, price_list, [(target, {})] * 2)

    assert served_on_loop == ["/api/v1/products/"]
    assert comparable(results[1]) == comparable(full_stack(channel, price_list, [(target, {})] * 2))


def test_not_modified_on_loop(asgi_app, channel, price_list, catalog, served_on_loop):
    path = f"/api/v1/products/{catalog.tripod.pk}/"
    first = asgi_run(asgi_app, channel, price_list, [(path, {})])[0]

    results = asgi_run(asgi_app, channel, price_list, [(path, {}), (path, {"If-None-Match": first[1]["etag"]})])

    assert served_on_loop == [path]
    assert results[1][0] == 304
    assert results[1][2] == b""
    assert results[1][1]["etag"] == first[1]["etag"]


def test_handed_on_request_counted_once(asgi_app, channel, price_list, catalog, served_on_loop):
    path = f"/api/v1/products/{catalog.tripod.pk}/"
    token = new_token(channel, price_list, throttle_rate="3/hour")
    statuses = [status for status, _headers, _body in asgi_get(asgi_app, token, [(path, {})] * 2)]

    record_on_hand(catalog.tripod, Warehouse.objects.get(code="main"), Decimal(9))
    # The third request is counted on the loop, found stale and handed on, where it is not counted again.
    results = asgi_get(asgi_app, token, [(path, {})] * 2)

    assert served_on_loop == [path]
    assert statuses + [status for status, _headers, _body in results] == [200, 200, 200, 429]
    assert b'"available":"9.000"' in results[0][2].replace(b" ", b"")


def test_other_requests_reach_django(asgi_app, channel, price_list, catalog, served_on_loop):
    results = asgi_run(asgi_app, channel, price_list, [("/health/live", {}), ("/api/v1/products/999999999/", {})])

    assert served_on_loop == []
    assert results[0][0] == 200
    assert results[1][0] == 404
    assert b'"code"' in results[1][2]


@pytest.mark.parametrize(
    ("target", "headers", "status"),
    [
        ("/api/v1/products/?q=" + "x" * 4100, {}, 414),
        ("/api/v1/products/", {"X-Big": "x" * 8200}, 431),
        ("/api/v1/products/", {f"X-Field-{index}": "1" for index in range(101)}, 431),
        ("/health/live", {"X-Fine": "x" * 8000}, 200),
    ],
)
def test_oversized_requests_rejected_before_django(asgi_app, target, headers, status):
    result = send_requests(asgi_app, [("GET", target, headers)])[0]

    assert result[0] == status
