import pytest
from django.test import Client

from integrations.sandbox.shopware.state import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_ACCESS_KEY

BASE = "/sandbox/shopware"


@pytest.fixture
def client():
    return Client()


@pytest.fixture
def token(client):
    response = client.post(
        f"{BASE}/api/oauth/token",
        {"grant_type": "client_credentials", "client_id": DEFAULT_ACCESS_KEY, "client_secret": DEFAULT_SECRET_ACCESS_KEY},
        content_type="application/json",
    )
    return response.json()["access_token"]


@pytest.fixture
def api(client, token):
    """Call the simulated Admin API with a valid token: api("post", "/api/search/product", {...})."""

    def call(method, path, body=None, **headers):
        return getattr(client, method)(
            f"{BASE}{path}",
            body if body is not None else {},
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}", **headers},
        )

    return call
