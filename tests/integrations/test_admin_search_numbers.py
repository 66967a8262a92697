"""The outbox, sync error and inbox lists find a row by the order number that support uses."""

import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from integrations.models import Connection, InboundEvent, OutboundMessage, SyncDirection
from integrations.services.syncruns import record_sync_error
from orders.models import Order
from tests.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db

OUTBOX_URL = reverse("admin:integrations_outboundmessage_changelist")
SYNC_ERRORS_URL = reverse("admin:integrations_syncerror_changelist")
INBOX_URL = reverse("admin:integrations_inboundevent_changelist")


@pytest.fixture
def erp():
    return Connection.objects.create(kind="odoo", name="Odoo", slug="odoo", base_url="https://erp.example.com")


@pytest.fixture
def shop():
    return Connection.objects.create(kind="shopware", name="Shopware DE", slug="shopware-de", base_url="https://shop.example.com")


def queue_order_message(connection, order, *, number=None):
    """Store an outbound message about `order` with the payload that Kontor sends to the ERP."""
    return OutboundMessage.objects.create(
        connection=connection,
        entity="orders",
        content_type=ContentType.objects.get_for_model(Order),
        object_id=str(order.pk),
        payload={"order_id": order.pk, "number": number or order.external_number},
        fingerprint="0" * 64,
        idempotency_key=uuid.uuid4().hex,
        lane="hot",
        next_attempt_at=timezone.now(),
    )


def store_order_event(connection, payload):
    """Store an inbound Shopware order event with `payload`, which is the order as the webhook sends it."""
    return InboundEvent.objects.create(
        connection=connection,
        entity="orders",
        external_id=payload["id"],
        dedup_key=f"order:{payload['id']}:{uuid.uuid4().hex}",
        event_type="checkout.order.placed",
        source="webhook",
        payload=payload,
        received_at=timezone.now(),
    )


def search(client, url, term):
    """Return the primary keys that the list at `url` shows for the search `term`, and the queries it took."""
    with CaptureQueriesContext(db_connection) as queries:
        response = client.get(url, {"q": term})
    assert response.status_code == 200
    return sorted(row.pk for row in response.context["cl"].result_list), len(queries)


def test_outbox_search_finds_order_number(staff_client, erp):
    # given messages about orders 10109 and 10110
    matching = queue_order_message(erp, OrderFactory(external_number="10109"))
    queue_order_message(erp, OrderFactory(external_number="10110"))

    # when the list is searched for 10109 and for a number no order has
    found, _queries = search(staff_client, OUTBOX_URL, "10109")
    missing, _queries = search(staff_client, OUTBOX_URL, "99999")

    # then only the message of order 10109 is found
    assert found == [matching.pk]
    assert missing == []


def test_outbox_search_finds_deleted_order_by_payload(staff_client, erp):
    # given a message whose order was deleted since, so only its payload keeps the number
    order = OrderFactory(external_number="10111")
    message = queue_order_message(erp, order)
    Order.objects.filter(pk=order.pk).delete()

    # when the list is searched for the number
    found, _queries = search(staff_client, OUTBOX_URL, "10111")

    # then the payload's number finds the message
    assert found == [message.pk]


def test_outbox_search_finds_product_sku(staff_client, erp):
    # given a message about a product, which the list names by its SKU
    product = ProductFactory(sku="SKU-4711")
    message = OutboundMessage.objects.create(
        connection=erp, entity="products", content_type=ContentType.objects.get_for_model(product),
        object_id=str(product.pk), payload={}, fingerprint="0" * 64, idempotency_key=uuid.uuid4().hex,
        lane="master", next_attempt_at=timezone.now(),
    )

    # when the list is searched for part of the SKU, in other case
    found, _queries = search(staff_client, OUTBOX_URL, "sku-47")

    # then the message is found
    assert found == [message.pk]


def test_sync_error_search_finds_order_number(staff_client, erp):
    # given failed deliveries of orders 10213 and 10214, which store only the order's id
    matching_order = OrderFactory(external_number="10213")
    other_order = OrderFactory(external_number="10214")
    matching = record_sync_error(erp, SyncDirection.OUTBOUND, RuntimeError("timeout"), entity="orders", record=matching_order)
    record_sync_error(erp, SyncDirection.OUTBOUND, RuntimeError("timeout"), entity="orders", record=other_order)
    assert matching.object_id == str(matching_order.pk)

    # when the list is searched for 10213
    found, _queries = search(staff_client, SYNC_ERRORS_URL, "10213")

    # then only the error of order 10213 is found
    assert found == [matching.pk]


def test_sync_error_search_keeps_list_filters(staff_client, erp):
    # given a resolved and an open error of order 10215
    order = OrderFactory(external_number="10215")
    resolved = record_sync_error(erp, SyncDirection.OUTBOUND, RuntimeError("timeout"), entity="orders", record=order)
    resolved.resolved = True
    resolved.save(update_fields=["resolved"])
    open_error = record_sync_error(erp, SyncDirection.INBOUND, RuntimeError("timeout"), entity="orders", record=order)

    # when the open errors are searched for the number
    response = staff_client.get(SYNC_ERRORS_URL, {"q": "10215", "resolved__exact": "0"})

    # then the filter still applies to the rows that the number finds
    assert response.status_code == 200
    assert [row.pk for row in response.context["cl"].result_list] == [open_error.pk]


def test_inbox_search_finds_order_number(staff_client, shop):
    # given order events of Shopware orders 10341 and 10342
    matching = store_order_event(shop, {"id": uuid.uuid4().hex, "orderNumber": "10341"})
    store_order_event(shop, {"id": uuid.uuid4().hex, "orderNumber": "10342"})

    # when the list is searched for 10341
    found, _queries = search(staff_client, INBOX_URL, "10341")

    # then only the event of order 10341 is found
    assert found == [matching.pk]


@pytest.mark.parametrize("url", [OUTBOX_URL, SYNC_ERRORS_URL])
def test_number_search_no_query_per_row(staff_client, erp, url):
    # given one order and its message and sync error
    def add_order(number):
        order = OrderFactory(external_number=number)
        queue_order_message(erp, order)
        record_sync_error(erp, SyncDirection.OUTBOUND, RuntimeError("timeout"), entity="orders", record=order)

    add_order("20001")
    one_found, one_row = search(staff_client, url, "2000")

    # when four more orders with matching numbers are added
    for number in ["20002", "20003", "20004", "20005"]:
        add_order(number)
    five_found, five_rows = search(staff_client, url, "2000")

    # then the search finds them all with the same number of queries
    assert len(one_found) == 1
    assert len(five_found) == 5
    assert five_rows == one_row


def test_number_search_feeds_list_actions(staff_client, erp):
    # given open errors of orders 10216 and 10217
    matching = record_sync_error(erp, SyncDirection.OUTBOUND, RuntimeError("timeout"), entity="orders", record=OrderFactory(external_number="10216"))
    other = record_sync_error(erp, SyncDirection.OUTBOUND, RuntimeError("timeout"), entity="orders", record=OrderFactory(external_number="10217"))

    # when support searches for 10216, selects all that the search shows and marks them resolved,
    # then retries every open error that matches 10217
    with translation.override("en"):
        resolved = staff_client.post(
            f"{SYNC_ERRORS_URL}?q=10216",
            {"action": "mark_resolved", "select_across": "1", "_selected_action": [matching.pk], "index": "0"},
            HTTP_ACCEPT_LANGUAGE="en", follow=True,
        )
        retried = staff_client.post(
            reverse("admin:integrations_syncerror_retry_matching") + "?q=10217&resolved__exact=0", HTTP_ACCEPT_LANGUAGE="en", follow=True,
        )

    # then the action changed only the error that the search found, and the retry took only the
    # other, which it skipped because it has no stored message to send again
    assert [str(message) for message in resolved.context["messages"]] == ["1 sync error marked resolved."]
    assert retried.status_code == 200
    [retry_message] = [str(message) for message in retried.context["messages"]]
    assert retry_message.startswith("0 items queued for retry. 1 sync error was skipped")
    matching.refresh_from_db()
    other.refresh_from_db()
    assert matching.resolved is True
    assert other.resolved is False
