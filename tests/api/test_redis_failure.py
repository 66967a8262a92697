"""While Redis fails, the API serves from the database without throttling and logs one line per failure."""

import logging

import pytest
import redis

from tests.api.conftest import asgi_get, make_client, needs_redis, new_token

pytestmark = needs_redis


def failing(calls):
    def fail(*args, **kwargs):
        calls.append(args[0])
        raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")

    return fail


def warnings_of(caplog):
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]


@pytest.mark.django_db
def test_fast_path_failure_served_by_full_stack_once(channel, price_list, catalog, monkeypatch, caplog):
    _client, http = make_client(channel, price_list=price_list)
    path = f"/api/v1/products/{catalog.tripod.pk}/"
    http.get(path)
    attempts = []
    monkeypatch.setattr("apiclients.fastpath.count_and_read", failing(attempts))
    monkeypatch.setattr("apiclients.throttling.count_and_read", failing(attempts))

    with caplog.at_level(logging.WARNING, logger="apiclients"):
        response = http.get(path)

    assert response.status_code == 200
    assert response.json()["sku"] == "TRIPOD"
    # The fast path tried once; the throttle knew it had failed and did not try again.
    assert len(attempts) == 1
    assert warnings_of(caplog) == ["Fast path Redis read failed; the full stack serves the request without throttling"]


@pytest.mark.django_db
def test_throttle_counter_failure_allows_request(channel, monkeypatch, caplog):
    _client, http = make_client(channel, throttle_rate="1/min")
    monkeypatch.setattr("apiclients.throttling.count_and_read", failing([]))

    with caplog.at_level(logging.WARNING, logger="apiclients"):
        statuses = [http.get("/api/v1/categories/").status_code for _attempt in range(3)]

    assert statuses == [200, 200, 200]
    assert warnings_of(caplog) == ["Throttle counter unreachable; request allowed"] * 3
    assert caplog.records[-1].api_client_id == _client.pk


@pytest.mark.django_db(transaction=True)
def test_event_loop_failure_handed_on_once(asgi_app, channel, price_list, catalog, monkeypatch, caplog):
    path = f"/api/v1/products/{catalog.tripod.pk}/"
    token = new_token(channel, price_list)
    asgi_get(asgi_app, token, [(path, {})])
    attempts = []

    async def fail_async(*args, **kwargs):
        failing(attempts)(*args)

    monkeypatch.setattr("apiclients.fastpath.count_and_read_async", fail_async)
    monkeypatch.setattr("apiclients.fastpath.count_and_read", failing(attempts))
    monkeypatch.setattr("apiclients.throttling.count_and_read", failing(attempts))

    with caplog.at_level(logging.WARNING, logger="apiclients"):
        status, headers, body = asgi_get(asgi_app, token, [(path, {})])[0]

    assert status == 200
    assert b'"TRIPOD"' in body
    assert len(attempts) == 1
    warnings = [record for record in caplog.records if record.name.startswith("apiclients") and record.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].request_id == headers["x-request-id"]
