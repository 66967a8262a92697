import threading
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from apiclients import fastpath
from apiclients.asgi import CachedProductReads
from apiclients.models import Scope
from apiclients.services import create_client
from config.wsgi import application as wsgi_application
from tests.api.catalog_data import build_catalog
from tests.asgi_client import BridgedApp, send_requests
from tests.factories import ChannelFactory, PriceListFactory

ALL_SCOPES = [scope.value for scope in Scope]

# Query counts assume the Redis cache, because without REDIS_URL the response cache and throttle
# counters live in the database and add queries of their own.
needs_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis; the suite runs without REDIS_URL")


@pytest.fixture(autouse=True)
def _clear_throttle_counters():
    # Throttle counters live in the cache (Redis db of this suite), which outlives test transactions.
    cache.clear()


@pytest.fixture
def channel(db):
    return ChannelFactory(code="web-de", name="Web DE", locales=["de_DE", "en_GB"], currencies=["EUR", "CHF"])


@pytest.fixture
def price_list(db):
    return PriceListFactory(code="retail", name="Retail")


def make_client(channel, scopes=ALL_SCOPES, **fields):
    fields.setdefault("throttle_rate", "100000/min")
    client, token = create_client(name="Storefront", channel=channel, scopes=scopes, actor="test", **fields)
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client, http


@pytest.fixture
def catalog(channel, price_list):
    """A camera model with two colour variants and a tripod (tests.api.catalog_data)."""
    return build_catalog(channel, price_list)


def record_fast_path_builds(monkeypatch, thread=None):
    """Return the list to which each response the fast path builds adds its path (only in `thread`, when given)."""
    calls = []
    build = fastpath.CachedProductMiddleware.build_response

    def recording_build(request, entry):
        if thread is None or threading.current_thread() is thread:
            calls.append(request.path)
        return build(request, entry)

    monkeypatch.setattr(fastpath.CachedProductMiddleware, "build_response", staticmethod(recording_build))
    return calls


@pytest.fixture
def api(channel, price_list):
    """An HTTP client authenticated as a front end with every scope, bound to `channel`."""
    _client, http = make_client(channel, price_list=price_list)
    return http


def money(text):
    return Decimal(text)


@pytest.fixture
def asgi_app():
    """config.asgi's composition, with a bridge of one thread that is closed after the test."""
    app = BridgedApp(CachedProductReads, wsgi_application)
    yield app.app
    app.close()


def asgi_get(app, token, requests):
    """Send GET `requests` (path with query, {header: value}) with `token` through `app` on one event loop."""
    return send_requests(app, [("GET", path, {"Authorization": f"Bearer {token}", **headers}) for path, headers in requests])


def new_token(channel, price_list, **client_fields):
    """Return the bearer token of a new client of `channel`."""
    _client, http = make_client(channel, price_list=price_list, **client_fields)
    return http._credentials["HTTP_AUTHORIZATION"].removeprefix("Bearer ")


def asgi_run(asgi_app, channel, price_list, requests, **client_fields):
    """Send `requests` through `app` with a new client."""
    return asgi_get(asgi_app, new_token(channel, price_list, **client_fields), requests)
