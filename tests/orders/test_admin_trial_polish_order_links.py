"""An order's page links to its outbound messages and to its inbound events from the shop, as filtered lists."""

import html
import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from integrations.models import Binding, Connection, InboundEvent, OutboundMessage
from orders.models import Order
from tests.admin_pages import render_page
from tests.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return Connection.objects.create(kind="shopware", name="Shopware (sandbox)", slug="shopware-sandbox", base_url="https://shop.example.com")


@pytest.fixture
def erp():
    return Connection.objects.create(kind="odoo", name="Odoo sandbox", slug="odoo-sandbox", base_url="https://erp.example.com")


def shop_order(shop, shop_id):
    """Store an order that `shop` sent, bound to its id `shop_id` in the shop."""
    order = OrderFactory(connection=shop)
    Binding.objects.create(connection=shop, content_type=ContentType.objects.get_for_model(Order), object_id=str(order.pk), external_id=shop_id)
    return order


def queue_message(connection, record, entity="orders"):
    return OutboundMessage.objects.create(
        connection=connection, entity=entity, content_type=ContentType.objects.get_for_model(record), object_id=str(record.pk),
        payload={}, fingerprint="0" * 64, idempotency_key=uuid.uuid4().hex, lane="hot", next_attempt_at=timezone.now(),
    )


def store_event(connection, external_id, entity="orders"):
    return InboundEvent.objects.create(
        connection=connection, entity=entity, external_id=external_id, dedup_key=uuid.uuid4().hex,
        event_type="checkout.order.placed", source="webhook", payload={"id": external_id}, received_at=timezone.now(),
    )


def order_page(client, order, language="en"):
    return render_page(client, reverse("admin:orders_order_change", args=[order.pk]), language)


def link_in(page, field):
    """Return the address and text of the link in the read-only field `field` of an admin page, or None."""
    match = re.search(rf'field-{field}">.*?<div class="readonly"><a href="([^"]+)">([^<]*)</a></div>', page, re.DOTALL)
    if match is None:
        return None
    return html.unescape(match.group(1)), match.group(2)


def listed(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return sorted(row.pk for row in response.context["cl"].result_list)


def test_outbound_link_lists_order_messages(staff_client, shop, erp):
    order = shop_order(shop, "a1b2")
    mine = [queue_message(erp, order), queue_message(shop, order)]
    queue_message(erp, OrderFactory())
    # A message about a product with the order's id, which only the record type distinguishes.
    product = ProductFactory()
    other_product = queue_message(erp, product, "products")
    OutboundMessage.objects.filter(pk=other_product.pk).update(object_id=str(order.pk))

    url, text = link_in(order_page(staff_client, order), "outbound_messages_shown")

    assert text == "Outbound messages of this order"
    assert url.startswith(reverse("admin:integrations_outboundmessage_changelist") + "?")
    assert listed(staff_client, url) == sorted(message.pk for message in mine)


def test_inbound_link_lists_shop_events(staff_client, shop, erp):
    order = shop_order(shop, "a1b2")
    mine = [store_event(shop, "a1b2"), store_event(shop, "a1b2")]
    store_event(shop, "c3d4")
    store_event(erp, "a1b2")
    store_event(shop, "a1b2", entity="payments")

    url, text = link_in(order_page(staff_client, order), "inbound_events_shown")

    assert text == "Inbound events from Shopware (sandbox)"
    assert url.startswith(reverse("admin:integrations_inboundevent_changelist") + "?")
    assert listed(staff_client, url) == sorted(event.pk for event in mine)


def test_links_in_german(staff_client, shop):
    order = shop_order(shop, "a1b2")

    page = order_page(staff_client, order, "de")

    assert link_in(page, "outbound_messages_shown")[1] == "Ausgehende Nachrichten dieser Bestellung"
    assert link_in(page, "inbound_events_shown")[1] == "Eingehende Ereignisse von Shopware (sandbox)"
    assert "<label>Ausgehende Nachrichten:</label>" in page
    assert "<label>Eingehende Ereignisse:</label>" in page


def test_unbound_order_has_no_inbound_link(staff_client, shop):
    unbound = OrderFactory(connection=shop)
    without_connection = OrderFactory()

    for order in (unbound, without_connection):
        page = order_page(staff_client, order)
        assert link_in(page, "inbound_events_shown") is None
        assert re.search(r'field-inbound_events_shown">.*?<div class="readonly">-</div>', page, re.DOTALL)
        assert link_in(page, "outbound_messages_shown") is not None


def test_links_cost_same_queries(staff_client, shop, erp):
    order = shop_order(shop, "a1b2")
    queue_message(erp, order)
    store_event(shop, "a1b2")
    order_page(staff_client, order)
    with CaptureQueriesContext(db_connection) as few:
        order_page(staff_client, order)

    for _ in range(5):
        queue_message(erp, order)
        store_event(shop, "a1b2")
    with CaptureQueriesContext(db_connection) as many:
        order_page(staff_client, order)

    assert len(many.captured_queries) == len(few.captured_queries)
    binding_reads = [query["sql"] for query in many.captured_queries if 'FROM "integrations_binding"' in query["sql"]]
    assert len(binding_reads) == 1


def test_links_hidden_without_permission(client, shop):
    order = shop_order(shop, "a1b2")
    clerk = get_user_model().objects.create_user("clerk", "clerk@example.com", "pw-clerk-1", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_order"), Permission.objects.get(codename="view_outboundmessage"))
    client.force_login(clerk)

    page = order_page(client, order)

    assert link_in(page, "outbound_messages_shown") is not None
    assert "field-inbound_events_shown" not in page
