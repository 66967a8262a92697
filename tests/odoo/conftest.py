"""Fixtures for the Odoo connector tests: an Odoo connection served by the sandbox in process."""

import time

import pytest
import responses
from django.core.signals import request_started

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


class OdooRequests:
    """Wall-clock arrival times of the live server's requests to the sandbox Odoo."""

    path = "/sandbox/odoo/"

    def __init__(self):
        self.times = []

    def __call__(self, sender, environ=None, **kwargs):
        if environ and environ.get("PATH_INFO", "").startswith(self.path):
            self.times.append(time.time())

    def since(self, moment):
        return [arrival for arrival in self.times if arrival > moment]


@pytest.fixture
def odoo_requests():
    """Record when the live server receives each request to the sandbox Odoo."""
    recorder = OdooRequests()
    request_started.connect(recorder, weak=False)
    yield recorder
    request_started.disconnect(recorder)
