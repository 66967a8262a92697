"""Retries from the admin of orders to Odoo, an ordered stream, and of stock, which is not one.

A retried order goes to the lane's batch task, whose claim sends the stream oldest first. A
delivery task of its own would send it beside the newer orders of the stream. A retried stock
figure still gets a delivery task of its own and is sent at once.
"""

from datetime import timedelta

import pytest
import responses
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import translation
from django.utils.module_loading import import_string

from catalog.models import Product, Warehouse
from catalog.services import stock
from integrations import registry
from integrations.models import OutboundMessage, OutboundState, SyncError
from integrations.ratelimit import redis_client
from integrations.sandbox.odoo import seed
from integrations.sandbox.testing import route_to_django
from integrations.services.batches import claim_due_messages, deliver_due_messages
from integrations.services.clients import circuit_breaker_for
from integrations.services.delivery import BATCH_TASK, DELIVER_TASK, deliver_message
from integrations.services.lanes import clear_lane_cache
from integrations.services.outbox import enqueue_outbound
from tests.integrations.framework.conftest import BASE_URL, make_connection
from tests.integrations.framework.testshop import TestShopConnector
from tests.odoo.helpers import line, make_erp_and_shop, order_message, place_order, sale_orders

# Real commits, so each request's transaction queues its tasks as it does in production.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# How far the tests move the clock on for a circuit breaker's pause to pass.
BREAKER_PAUSE = timedelta(seconds=61)


@pytest.fixture(autouse=True)
def fresh_state(settings):
    """Start with closed circuit breakers, full rate limits and no remembered lanes."""
    redis_client(settings.REDIS_URL).flushdb()
    cache.clear()
    clear_lane_cache()
    yield
    clear_lane_cache()


@pytest.fixture
def sandbox():
    """Route HTTP calls for the test host into the sandbox views of this process."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        route_to_django(rsps)
        seed.ensure_seeded()
        yield rsps


@pytest.fixture
def testshop():
    registry.register(TestShopConnector)
    yield TestShopConnector
    registry.unregister(TestShopConnector.kind)


@pytest.fixture
def queued(monkeypatch):
    """Record the tasks queued for the lanes instead of sending them to the broker."""
    calls = []
    monkeypatch.setattr(
        "integrations.services.queue.async_task", lambda func_path, *args, cluster: calls.append((func_path, args, cluster))
    )
    return calls


@pytest.fixture
def support_client(client):
    client.force_login(get_user_model().objects.create_superuser("support", "support@example.com", "pw-support-1"))
    return client


def run_queued(queued):
    """Run the recorded tasks oldest first, as one lane worker does, until none is left."""
    while queued:
        func_path, args, _lane = queued.pop(0)
        import_string(func_path)(*args)


def retry_in_list(client, sync_errors):
    """Select the errors in the sync error list and run its Retry action. Return the messages shown."""
    response = client.post(
        reverse("admin:integrations_syncerror_changelist"),
        {"action": "retry", "_selected_action": [sync_error.pk for sync_error in sync_errors]},
        follow=True,
    )
    assert response.status_code == 200
    return [str(message) for message in response.context["messages"]]


def place(channel, shop, number, sku="CAM-1"):
    return place_order(channel, shop, number, [line(sku, 1)], email=f"{number}@example.com")


def odoo_ids(numbers):
    """Return the sale order id that Odoo gave each shop order number, checking that each exists once."""
    assert [len(sale_orders(number)) for number in numbers] == [1] * len(numbers), numbers
    return [sale_orders(number)[0]["id"] for number in numbers]


def rejected_orders(erp, channel, shop, numbers):
    """Place orders of a SKU that Odoo lacks, and return their sync errors once Odoo rejected them."""
    product = Product.objects.create(sku="NEW-1")
    stock.record_on_hand(product, Warehouse.objects.get(code="wh"), 10)
    orders = [place(channel, shop, number, "NEW-1") for number in numbers]
    deliver_due_messages("hot", requeue=False)
    messages = [order_message(order, erp) for order in orders]
    assert [message.state for message in messages] == [OutboundState.FAILED] * len(numbers)
    return [SyncError.objects.get(outbound_message=message, code="odoo_product_missing") for message in messages]


def handed_back_orders(erp, channel, shop, numbers):
    """Place orders while Odoo is down, so the breaker hands them back, and return their messages."""
    breaker = circuit_breaker_for(erp)
    for _failure in range(breaker.failure_threshold):
        breaker.record_failure()
    orders = [place(channel, shop, number) for number in numbers]
    deliver_due_messages("hot", requeue=False)
    breaker.record_success()
    messages = [order_message(order, erp) for order in orders]
    assert [(message.state, message.error_code) for message in messages] == [(OutboundState.PENDING, "circuit_open")] * len(numbers)
    return messages


def failed_stock(warehouse):
    """Write a stock message that the test shop rejects with 422, and return its sync error."""
    responses.put(f"{BASE_URL}/stock/{warehouse.pk}", status=422)
    with transaction.atomic():
        (message,) = enqueue_outbound(warehouse, "stock", {"available": 7})
    assert deliver_message(message.pk) == OutboundState.FAILED
    return SyncError.objects.get(outbound_message=message)


def test_bulk_retry_keeps_placement_order(sandbox, support_client, queued):
    # Given two orders that Odoo rejected, and two newer ones that wait until Odoo is back.
    erp, channel, shop = make_erp_and_shop()
    rejected = rejected_orders(erp, channel, shop, ["80001", "80002"])
    waiting = handed_back_orders(erp, channel, shop, ["80003", "80004"])

    # When support adds the product in Odoo and retries both rejected orders from the list.
    seed.add_product("NEW-1", "Product NEW-1", quantity=10)
    queued.clear()
    messages_shown = retry_in_list(support_client, rejected)
    tasks = list(queued)
    run_queued(queued)

    # Then the lane's batch task sent them oldest first, and the newer orders still wait.
    assert tasks == [(BATCH_TASK, ("hot",), "hot")]
    first, second = odoo_ids(["80001", "80002"])
    assert first < second, f"Odoo created order 80002 (id {second}) before order 80001 (id {first})"
    assert [OutboundMessage.objects.get(pk=message.pk).state for message in waiting] == [OutboundState.PENDING] * 2
    assert messages_shown == [
        "2 items queued for retry. They will be sent in order with the other waiting messages of the same kind "
        "to their connections, not at once."
    ]
    assert SyncError.objects.filter(pk__in=[sync_error.pk for sync_error in rejected], resolved=True).count() == 2

    # When the breaker's pause has passed, the waiting orders follow in placement order.
    OutboundMessage.objects.filter(pk__in=[message.pk for message in waiting]).update(next_attempt_at=F("next_attempt_at") - BREAKER_PAUSE)
    deliver_due_messages("hot", requeue=False)

    ids = odoo_ids(["80001", "80002", "80003", "80004"])
    assert ids == sorted(ids), f"Odoo ids by shop order number: {ids}"


def test_retried_order_holds_newer_in_flight(sandbox, support_client, queued):
    erp, channel, shop = make_erp_and_shop()
    older, newer = rejected_orders(erp, channel, shop, ["81001", "81002"])
    retry_in_list(support_client, [older, newer])

    # One worker claims the older retried order, and a second worker claims before it is sent.
    first_claim = [message.pk for message in claim_due_messages("hot", limit=1, entities=("orders",))]
    second_claim = [message.pk for message in claim_due_messages("hot", entities=("orders",))]

    assert first_claim == [older.outbound_message_id]
    assert second_claim == [], f"order message {newer.outbound_message_id} claimed while the older retried order is in flight"


def test_order_retry_button_in_german(sandbox, support_client, queued):
    erp, channel, shop = make_erp_and_shop()
    (rejected,) = rejected_orders(erp, channel, shop, ["82001"])
    queued.clear()

    with translation.override("de"):
        response = support_client.post(
            reverse("admin:integrations_syncerror_retry_one", args=[rejected.pk]), follow=True, HTTP_ACCEPT_LANGUAGE="de"
        )

    assert queued == [(BATCH_TASK, ("hot",), "hot")]
    assert [str(message) for message in response.context["messages"]] == [
        "1 Eintrag zum erneuten Versuch eingereiht. Er wird nicht sofort gesendet, sondern der Reihe nach mit den "
        "anderen wartenden Nachrichten derselben Art an seine Verbindung."
    ]
    message = OutboundMessage.objects.get(pk=rejected.outbound_message_id)
    assert (message.state, message.attempts, message.first_attempt_at) == (OutboundState.PENDING, 0, None)


@responses.activate
def test_stock_retry_sends_at_once(testshop, support_client, queued):
    # Given a stock figure that the shop rejected.
    make_connection("shop")
    warehouse = Warehouse.objects.create(code="W1", name="Main")
    rejected = failed_stock(warehouse)
    responses.replace(responses.PUT, f"{BASE_URL}/stock/{warehouse.pk}", status=200)
    queued.clear()

    # When support retries it from the list.
    messages_shown = retry_in_list(support_client, [rejected])
    tasks = list(queued)
    run_queued(queued)

    # Then it got a delivery task of its own, as before, which sent it.
    assert tasks == [(DELIVER_TASK, (rejected.outbound_message_id,), "hot")]
    assert messages_shown == ["1 item queued for retry."]
    message = OutboundMessage.objects.get(pk=rejected.outbound_message_id)
    assert (message.state, message.attempts) == (OutboundState.DELIVERED, 1)
    assert [call.request.method for call in responses.calls] == ["PUT", "PUT"]


def test_mixed_retry_counts_ordered(sandbox, testshop, support_client, queued):
    erp, channel, shop = make_erp_and_shop()
    (order_error,) = rejected_orders(erp, channel, shop, ["83001"])
    testshop_connection = make_connection("testshop")
    warehouse = Warehouse.objects.create(code="W1", name="Main")
    sandbox.add(responses.PUT, f"{BASE_URL}/stock/{warehouse.pk}", status=422)
    with transaction.atomic():
        messages = enqueue_outbound(warehouse, "stock", {"available": 7})
    (stock_message,) = [message for message in messages if message.connection_id == testshop_connection.pk]
    assert deliver_message(stock_message.pk) == OutboundState.FAILED
    stock_error = SyncError.objects.get(outbound_message=stock_message)
    queued.clear()

    messages_shown = retry_in_list(support_client, [order_error, stock_error])

    assert queued == [(BATCH_TASK, ("hot",), "hot"), (DELIVER_TASK, (stock_message.pk,), "hot")]
    assert messages_shown == [
        "2 items queued for retry. 1 of them will be sent in order with the other waiting messages of the same "
        "kind to its connection, not at once."
    ]
