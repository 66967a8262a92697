import pytest
from django.db import connection


def pytest_collection_modifyitems(config, items):
    """Skip tests marked `postgres` when the suite runs on SQLite, and say why."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (row locks with SKIP LOCKED, concurrent writers, NULLS NOT DISTINCT); the suite runs on SQLite")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fresh_webhook_connection_cache():
    """Start each test without connections cached by the webhook intake of an earlier test."""
    from integrations.services.webhooks import forget_cached_connections

    forget_cached_connections()
    yield
    forget_cached_connections()
