import pytest
import redis
from django.conf import settings

from integrations import registry
from integrations.models import Connection, ConnectionEntity, Direction, LeadingSystemRule
from integrations.services.lanes import clear_lane_cache
from tests.integrations.framework.testshop import TestShopConnector

BASE_URL = "http://testshop.invalid/api"


@pytest.fixture(autouse=True)
def testshop_connector():
    registry.register(TestShopConnector)
    yield
    registry.unregister("testshop")


@pytest.fixture(autouse=True)
def fresh_lane_cache():
    # Connection ids repeat across tests, and each test sets its own lanes.
    clear_lane_cache()


@pytest.fixture(autouse=True)
def clean_shared_limits():
    """Forget rate-limit buckets and circuit states: connection ids repeat across test runs."""
    if not settings.REDIS_URL:
        yield
        return
    client = redis.Redis.from_url(settings.REDIS_URL)
    for pattern in ("kontor:circuit:*", "kontor:ratelimit:connection:*"):
        for key in client.scan_iter(pattern):
            client.delete(key)
    yield


@pytest.fixture
def queued(monkeypatch):
    """Record tasks queued through enqueue_on_commit instead of sending them to a broker."""
    calls = []

    def record(func_path, *args, cluster):
        calls.append((func_path, args, cluster))

    monkeypatch.setattr("integrations.services.queue.async_task", record)
    return calls


def make_connection(slug="shop", *, entities=("products", "stock", "prices"), direction=Direction.BOTH, **fields):
    values = {
        "kind": "testshop",
        "name": slug.title(),
        "slug": slug,
        "base_url": BASE_URL,
        "rate_limit_per_second": 1000,
        "rate_limit_burst": 1000,
    }
    values.update(fields)
    connection = Connection(**values)
    connection.set_credentials({"api_token": f"tok-{slug}-0123456789", "webhook_secret": f"whsec-{slug}-secret"})
    connection.save()
    for entity in entities:
        ConnectionEntity.objects.create(connection=connection, entity=entity, direction=direction)
    return connection


@pytest.fixture
def shop(db):
    return make_connection("shop")


@pytest.fixture
def erp(db):
    return make_connection("erp", base_url="http://erp.invalid/api")


@pytest.fixture
def shop_leads_products(shop):
    return LeadingSystemRule.objects.create(domain="products", connection=shop)
