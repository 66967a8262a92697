"""The fast path for cached product reads responds exactly as the full stack does.

Each case runs the same requests twice: once with apiclients.fastpath in the middleware, once
without it, each with a client of its own (throttle counters are per client). Status, body and
every header must match, except X-Request-ID, which is new for each request.
"""

from decimal import Decimal

import pytest
from django.conf import settings
from django.test import override_settings

from apiclients.models import Scope
from catalog.models import Warehouse
from catalog.services.stock import record_on_hand
from tests.api.conftest import make_client, needs_redis, record_fast_path_builds

# Without Redis the response cache lives in the database and the fast path stays off.
pytestmark = [pytest.mark.django_db, needs_redis]

FAST_PATH = "apiclients.fastpath.CachedProductMiddleware"
PER_REQUEST_HEADERS = {"X-Request-ID"}


@pytest.fixture
def served_fast(monkeypatch):
    """Paths of the responses the fast path has built."""
    return record_fast_path_builds(monkeypatch)


def run(channel, price_list, requests, *, fast, **client_fields):
    """Send `requests` (path, headers) with a new client and return the last response."""
    middleware = settings.MIDDLEWARE if fast else [name for name in settings.MIDDLEWARE if name != FAST_PATH]
    with override_settings(MIDDLEWARE=middleware):
        _client, http = make_client(channel, price_list=price_list, **client_fields)
        responses = [send(http, path, headers) for path, headers in requests]
    return responses[-1]


def send(http, path, headers):
    headers = dict(headers)
    if "HTTP_AUTHORIZATION" in headers:
        # APIClient's credentials win over a header passed with the request.
        http.credentials(HTTP_AUTHORIZATION=headers.pop("HTTP_AUTHORIZATION"))
    return http.get(path, **headers)


def comparable(response):
    headers = {name: value for name, value in response.headers.items() if name not in PER_REQUEST_HEADERS}
    return response.status_code, response.content, headers


def both_paths(channel, price_list, requests, **client_fields):
    fast = run(channel, price_list, requests, fast=True, **client_fields)
    full = run(channel, price_list, requests, fast=False, **client_fields)
    return fast, full


def test_detail_hit_same_on_both_paths(channel, price_list, catalog, served_fast):
    path = f"/api/v1/products/{catalog.red.pk}/"

    fast, full = both_paths(channel, price_list, [(path, {}), (path, {})])

    assert served_fast == [path]
    assert fast.status_code == 200
    assert fast["ETag"]
    assert comparable(fast) == comparable(full)


def test_detail_hit_in_german_same_on_both_paths(channel, price_list, catalog, served_fast):
    path = f"/api/v1/products/{catalog.tripod.pk}/"
    headers = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9"}

    fast, full = both_paths(channel, price_list, [(path, headers), (path, headers)])

    assert served_fast == [path]
    assert fast["Content-Language"] == "de"
    assert comparable(fast) == comparable(full)


def test_not_modified_same_on_both_paths(channel, price_list, catalog, served_fast):
    path = f"/api/v1/products/{catalog.red.pk}/"
    etag = run(channel, price_list, [(path, {})], fast=False)["ETag"]
    conditional = {"HTTP_IF_NONE_MATCH": etag}

    fast, full = both_paths(channel, price_list, [(path, {}), (path, conditional)])

    assert served_fast == [path]
    assert fast.status_code == 304
    assert fast.content == b""
    assert comparable(fast) == comparable(full)


def test_list_hit_same_on_both_paths(channel, price_list, catalog, served_fast):
    path = "/api/v1/products/?in_stock=true&page_size=1"

    fast, full = both_paths(channel, price_list, [(path, {}), (path, {})])

    assert served_fast == ["/api/v1/products/"]
    assert fast.status_code == 200
    assert fast.json()["results"][0]["sku"] == "CAM-RED"
    assert comparable(fast) == comparable(full)


def test_wrong_token_same_on_both_paths(channel, price_list, catalog, served_fast):
    path = f"/api/v1/products/{catalog.red.pk}/"
    wrong = {"HTTP_AUTHORIZATION": "Bearer kt_not-a-real-token"}

    fast, full = both_paths(channel, price_list, [(path, {}), (path, wrong)])

    assert served_fast == []
    assert fast.status_code == 401
    assert comparable(fast) == comparable(full)


def test_missing_scope_same_on_both_paths(channel, price_list, catalog, served_fast):
    path = f"/api/v1/products/{catalog.red.pk}/"

    fast, full = both_paths(channel, price_list, [(path, {}), (path, {})], scopes=[Scope.ORDERS_READ])

    assert served_fast == []
    assert fast.status_code == 403
    assert comparable(fast) == comparable(full)


def test_throttled_same_on_both_paths(channel, price_list, catalog, served_fast):
    path = f"/api/v1/products/{catalog.red.pk}/"

    fast, full = both_paths(channel, price_list, [(path, {})] * 3, throttle_rate="2/hour")

    assert served_fast == [path]
    assert fast.status_code == 429
    assert fast.json()["code"] == "throttled"
    assert int(fast["Retry-After"]) > 0
    # Retry-After counts down the seconds left in the window, which may tick between the runs.
    assert abs(int(fast["Retry-After"]) - int(full["Retry-After"])) <= 1
    assert comparable(fast)[:2] == comparable(full)[:2]
    assert {**comparable(fast)[2], "Retry-After": ""} == {**comparable(full)[2], "Retry-After": ""}


def test_handed_on_request_counted_once(channel, price_list, catalog, served_fast, django_capture_on_commit_callbacks):
    path = f"/api/v1/products/{catalog.red.pk}/"
    _client, http = make_client(channel, price_list=price_list, throttle_rate="3/hour")
    statuses = [http.get(path).status_code, http.get(path).status_code]

    with django_capture_on_commit_callbacks(execute=True):
        record_on_hand(catalog.red, Warehouse.objects.get(code="main"), Decimal(9))
    # The fast path counts the third request, finds the stored detail stale and hands it on.
    statuses += [http.get(path).status_code, http.get(path).status_code]

    assert served_fast == [path]
    assert statuses == [200, 200, 200, 429]


def test_indented_json_goes_to_full_stack(channel, price_list, catalog, served_fast):
    path = f"/api/v1/products/{catalog.tripod.pk}/"
    _client, http = make_client(channel, price_list=price_list)
    http.get(path)

    response = http.get(path, HTTP_ACCEPT="application/json; indent=2")

    assert served_fast == []
    assert response.status_code == 200
    assert response.content.startswith(b'{\n  "id"')


def test_html_accept_is_406_on_fast_path_too(channel, price_list, catalog, served_fast):
    path = f"/api/v1/products/{catalog.tripod.pk}/"
    _client, http = make_client(channel, price_list=price_list)
    http.get(path)

    response = http.get(path, HTTP_ACCEPT="text/html")

    assert served_fast == []
    assert response.status_code == 406


def test_stock_change_ends_fast_path_hit(api, catalog, served_fast, django_capture_on_commit_callbacks):
    path = f"/api/v1/products/{catalog.red.pk}/"
    api.get(path)
    first = api.get(path)
    with django_capture_on_commit_callbacks(execute=True):
        # Blue is a variant shown in red's detail; its version is read in the same round trip.
        record_on_hand(catalog.blue, Warehouse.objects.get(code="main"), Decimal(10))
    second = api.get(path)
    third = api.get(path)

    assert served_fast == [path, path]
    assert [variant["available"] for variant in first.json()["variants"]] == ["0.000", "4.000"]
    assert [variant["available"] for variant in second.json()["variants"]] == ["8.000", "4.000"]
    assert third.content == second.content
