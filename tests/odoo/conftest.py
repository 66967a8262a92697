"""Fixtures for the Odoo connector tests: an Odoo connection served by the sandbox in process."""

import pytest
import responses

from integrations.models import Connection
from integrations.sandbox.odoo import seed
from integrations.sandbox.testing import TEST_HOST, route_to_django

ODOO_URL = f"{TEST_HOST}/sandbox/odoo"


def make_odoo_connection(version="19.0", slug="odoo", **credentials):
    connection = Connection(kind="odoo", name="Odoo sandbox", slug=slug, base_url=ODOO_URL, rate_limit_per_second=1000, rate_limit_burst=1000)
    connection.set_credentials({
        "database": seed.DEFAULT_DATABASE,
        "login": seed.DEFAULT_LOGIN,
        "api_key": seed.DEFAULT_API_KEY,
        "version": version,
        **credentials,
    })
    connection.save()
    return connection


@pytest.fixture
def sandbox():
    """Route HTTP calls for the test host into the sandbox views of this process."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        route_to_django(rsps)
        seed.ensure_seeded()
        yield rsps


@pytest.fixture(autouse=True)
def clear_circuits_and_limits(settings):
    """Start each test with closed circuit breakers and full rate-limit buckets."""
    from django.core.cache import cache

    from integrations.ratelimit import redis_client

    if settings.REDIS_URL:
        redis_client(settings.REDIS_URL).flushdb()
    cache.clear()
    yield
