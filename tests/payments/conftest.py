import pytest
import redis
from django.conf import settings
from django.core.cache import cache

from integrations import registry
from tests.payments.support import PaymentErpConnector


@pytest.fixture(autouse=True)
def payment_erp_connector():
    registry.register(PaymentErpConnector)
    yield
    registry.unregister(PaymentErpConnector.kind)


@pytest.fixture(autouse=True)
def clean_shared_limits():
    """Forget rate-limit buckets, circuit states and cached tokens: connection ids repeat across test runs."""
    cache.clear()
    if settings.REDIS_URL:
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
