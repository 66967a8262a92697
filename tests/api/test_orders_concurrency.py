"""Order requests that overlap: the same Idempotency-Key sent again while the first request runs.

Each request runs in its own thread with its own database connection, so these tests commit their
data (transaction=True). The camera has 3 units on hand and order_body orders 2 by default.
"""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from apiclients.models import IdempotencyRecord
from apiclients.services import create_client
from catalog.models import StockLevel, StockReservation
from orders.api import placement
from orders.models import Order, OrderLine, OrderStatusChange
from tests.api.conftest import ALL_SCOPES
from tests.api.test_orders import camera, order_body, post_order  # noqa: F401  (camera is a fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REQUESTS = 5


@pytest.fixture
def token(channel, price_list):
    _client, token = create_client(name="Storefront", channel=channel, scopes=ALL_SCOPES, actor="test", price_list=price_list, throttle_rate="100000/min")
    return token


def post_together(token, requests):
    """POST the (body, key) `requests` at once, one thread and connection each, and return the responses in order."""
    barrier = threading.Barrier(len(requests))
    responses = [None] * len(requests)

    def send(index, body, key):
        http = APIClient()
        http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            barrier.wait(timeout=10)
            responses[index] = post_order(http, body, key=key)
        except Exception as error:  # noqa: BLE001 (the test asserts on it)
            responses[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(index, body, key)) for index, (body, key) in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [response for response in responses if not hasattr(response, "status_code")] == []
    return responses


def post_in_thread(token, body, key):
    """POST one order from another thread and connection, and wait until it has committed."""
    return post_together(token, [(body, key)])[0]


def replayed(response):
    return response.get("Idempotent-Replayed") == "true"


def test_same_key_same_body_one_order(token, camera):  # noqa: F811
    responses = post_together(token, [(order_body(), "key-1")] * REQUESTS)

    assert [response.status_code for response in responses] == [201] * REQUESTS
    assert sorted(replayed(response) for response in responses) == [False] + [True] * (REQUESTS - 1)
    order = Order.objects.get()
    assert {response.json()["id"] for response in responses} == {order.pk}
    assert {response["Location"] for response in responses} == {f"/api/v1/orders/{order.pk}/"}
    assert OrderLine.objects.filter(order=order).count() == 1
    assert OrderStatusChange.objects.filter(order=order).count() == 1
    assert IdempotencyRecord.objects.filter(key="key-1", order=order).count() == 1
    assert StockReservation.objects.get().quantity == Decimal(2)
    assert StockLevel.objects.get(product=camera).reserved == Decimal(2)


def test_same_key_other_body_is_422(token, camera):  # noqa: F811
    bodies = {"WEB-1 x2": order_body(quantity="2"), "WEB-1 x1": order_body(quantity="1"), "WEB-2 x1": order_body(number="WEB-2", quantity="1")}
    names = [*bodies, *bodies]

    responses = post_together(token, [(bodies[name], "key-1") for name in names])

    # Whichever body comes first creates the order, and the key then belongs to that body.
    created = [name for name, response in zip(names, responses, strict=True) if response.status_code == 201 and not replayed(response)]
    assert len(created) == 1
    order = Order.objects.get()
    assert order.external_number == bodies[created[0]]["number"]
    for name, response in zip(names, responses, strict=True):
        if name == created[0]:
            assert response.status_code == 201
            assert response.json()["id"] == order.pk
        else:
            assert response.status_code == 422
            assert response.json()["code"] == "idempotency_key_reused"
            assert response.json()["value"] == "key-1"
    assert StockReservation.objects.count() == 1
    assert StockLevel.objects.get(product=camera).reserved == Decimal(bodies[created[0]]["lines"][0]["quantity"])


def test_existing_number_other_key_is_409(token, camera):  # noqa: F811
    responses = post_together(token, [(order_body(quantity="1"), f"key-{index}") for index in range(REQUESTS)])

    assert sorted(response.status_code for response in responses) == [201] + [409] * (REQUESTS - 1)
    conflicts = [response.json() for response in responses if response.status_code == 409]
    assert {(body["code"], body["field"], body["value"]) for body in conflicts} == {("order_exists", "number", "WEB-1")}
    assert not any(replayed(response) for response in responses)
    assert Order.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
    assert StockReservation.objects.count() == 1
    assert StockLevel.objects.get(product=camera).reserved == Decimal(1)


def test_key_committed_before_create_replays(token, camera, monkeypatch):  # noqa: F811
    # Another request with the same key and body commits after this one looked the key up and
    # checked the stock, so this one finds the order number taken.
    create_order = placement.create_order
    started = threading.Event()
    other = []

    def commit_other_request_then_create(data, **kwargs):
        # Only this request's call waits for the other request, which calls this function too.
        if not started.is_set():
            started.set()
            other.append(post_in_thread(token, order_body(), "key-1"))
        return create_order(data, **kwargs)

    monkeypatch.setattr(placement, "create_order", commit_other_request_then_create)
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    second = post_order(http, order_body(), key="key-1")

    assert other[0].status_code == 201
    assert not replayed(other[0])
    assert second.status_code == 201
    assert replayed(second)
    assert second.json()["id"] == other[0].json()["id"]
    assert Order.objects.count() == 1
    assert StockLevel.objects.get(product=camera).reserved == Decimal(2)


def test_key_committed_before_stock_check_replays(token, camera, monkeypatch):  # noqa: F811
    # Another request with the same key and body commits after this one looked the key up. Its
    # reservation leaves 1 of 3 units, too few for this request's 2.
    check_available = placement._check_available
    started = threading.Event()
    other = []

    def commit_other_request_then_check(data, products, payload):
        # Only this request's call waits for the other request, which calls this function too.
        if not started.is_set():
            started.set()
            other.append(post_in_thread(token, order_body(), "key-1"))
        return check_available(data, products, payload)

    monkeypatch.setattr(placement, "_check_available", commit_other_request_then_check)
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    second = post_order(http, order_body(), key="key-1")

    assert other[0].status_code == 201
    assert second.status_code == 201
    assert replayed(second)
    assert second.json()["id"] == other[0].json()["id"]
    assert Order.objects.count() == 1
    assert StockReservation.objects.count() == 1
    assert StockLevel.objects.get(product=camera).reserved == Decimal(2)
