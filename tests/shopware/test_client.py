import pytest

from integrations.errors import AuthError
from integrations.sandbox import faults, store
from integrations.sandbox.shopware import state

pytestmark = pytest.mark.django_db


def test_client_fetches_token_once(sandbox, connection, client_for):
    client = client_for(connection)

    client.search("currency", {})
    client.search("tax", {})

    token_calls = [call for call in sandbox.calls if call.request.url.endswith("/api/oauth/token")]
    assert len(token_calls) == 1
    assert store.rows("shopware", "_token").count() == 1


def test_client_renews_revoked_token(sandbox, connection, client_for):
    client = client_for(connection)
    client.search("currency", {})

    store.rows("shopware", "_token").delete()
    body = client.search("currency", {"filter": [{"type": "equals", "field": "isoCode", "value": "EUR"}]})

    assert [item["isoCode"] for item in body["data"]] == ["EUR"]
    token_calls = [call for call in sandbox.calls if call.request.url.endswith("/api/oauth/token")]
    assert len(token_calls) == 2


def test_client_renews_expired_token(sandbox, connection, client_for):
    client = client_for(connection)
    client.search("currency", {"limit": 1})
    for row in store.rows("shopware", "_token"):
        row.data = {**row.data, "expiresAt": "2000-01-01T00:00:00+00:00"}
        row.save()

    body = client.search("currency", {"limit": 1})

    assert body["total"] == 1
    statuses = [call.response.status_code for call in sandbox.calls]
    assert statuses == [200, 200, 401, 200, 200]


def test_token_lifetime_comes_from_expires_in(sandbox, connection, client_for):
    state.update_settings({"tokenLifetime": 45})
    client = client_for(connection)

    client.token()

    token_response = sandbox.calls[0].response.json()
    assert token_response["expires_in"] == 45
    assert token_response["token_type"] == "Bearer"


def test_client_wrong_secret_raises_auth_error(sandbox, connection, client_for):
    connection.set_credentials({**connection.credentials, "secret_access_key": "wrong"})
    connection.save()

    with pytest.raises(AuthError):
        client_for(connection).search("currency", {})


def test_client_honours_retry_after_on_429(sandbox, connection, client_for):
    client = client_for(connection)
    client.token()
    faults.update_faults("shopware", {"fail_next_requests": 1, "fail_next_status": 429, "retry_after_seconds": 3})

    body = client.search("currency", {"limit": 1})

    assert body["total"] == 1
    assert len(client.sleeps) == 1
    assert client.sleeps[0] >= 3.0


def test_client_retries_server_errors(sandbox, connection, client_for):
    client = client_for(connection)
    client.token()
    faults.update_faults("shopware", {"fail_next_requests": 2, "fail_next_status": 503})

    body = client.search("currency", {"limit": 1})

    assert body["total"] == 1
    assert len(client.sleeps) == 2
    assert [call.response.status_code for call in sandbox.calls[-3:]] == [503, 503, 200]


def test_client_retries_timeout(sandbox, connection, client_for):
    client = client_for(connection)
    client.token()
    faults.update_faults("shopware", {"fail_next_requests": 1, "fail_next_status": 0, "timeout_seconds": 0})

    body = client.search("currency", {"limit": 1})

    assert body["total"] == 1
    assert len(client.sleeps) == 1
