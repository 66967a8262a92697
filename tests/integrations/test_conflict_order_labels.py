"""Conflicts name an order by its number and its channel's name, as "Order 10090 (Shopware sandbox)"."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from catalog.models import Warehouse
from integrations.models import Conflict, Connection
from tests.admin_pages import render_page
from tests.factories import ChannelFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return Connection.objects.create(kind="shopware", name="Shop DE", slug="shop-de", base_url="https://shop.example.com")


def status_conflict(shop, order):
    return Conflict.objects.create(
        connection=shop, content_type=ContentType.objects.get_for_model(order), object_id=str(order.pk),
        domain="orders", field_group="status", field="status", current_value="new", incoming_value="cancelled",
    )


def sandbox_order(number="10090"):
    channel = ChannelFactory(code="shopware-sandbox", name="Shopware sandbox")
    return OrderFactory(channel=channel, external_number=number)


def test_order_label_in_english_and_german(shop):
    conflict = status_conflict(shop, sandbox_order())

    with translation.override("en"):
        english = conflict.record_label()
        english_title = str(conflict)
    with translation.override("de"):
        german = conflict.record_label()
        german_title = str(conflict)

    assert english == "Order 10090 (Shopware sandbox)"
    assert german == "Bestellung 10090 (Shopware sandbox)"
    assert english_title == "Status of Order 10090 (Shopware sandbox) from Shop DE"
    assert german_title == "Status von Bestellung 10090 (Shopware sandbox) aus Shop DE"


def test_deleted_order_named_by_id(shop):
    order = sandbox_order()
    conflict = status_conflict(shop, order)
    order_id = order.pk
    order.delete()
    conflict = Conflict.objects.get(pk=conflict.pk)

    with translation.override("en"):
        assert conflict.record_label() == f"Order {order_id}"


def test_other_record_named_by_type(shop):
    warehouse = Warehouse.objects.create(code="W1", name="Main warehouse")
    conflict = Conflict.objects.create(
        connection=shop, content_type=ContentType.objects.get_for_model(warehouse), object_id=str(warehouse.pk),
        domain="products", field_group="texts", field="name", current_value="Main warehouse", incoming_value="Shop name",
    )

    with translation.override("en"):
        assert conflict.record_label() == f"Warehouse {warehouse}"


@pytest.mark.parametrize(
    ("language", "label"),
    [("en", "Order 10090 (Shopware sandbox)"), ("de", "Bestellung 10090 (Shopware sandbox)")],
)
def test_conflict_list_names_order(staff_client, shop, language, label):
    order = sandbox_order()
    status_conflict(shop, order)

    html = render_page(staff_client, reverse("admin:integrations_conflict_changelist"), language)

    order_url = reverse("admin:orders_order_change", args=[order.pk])
    assert f'<td class="field-record_link"><a href="{order_url}">{label}</a></td>' in html
    assert "shopware-sandbox/10090" not in html


def test_conflict_list_joins_channels(staff_client, shop):
    for number in ("10090", "10091", "10092"):
        status_conflict(shop, sandbox_order(number))
    url = reverse("admin:integrations_conflict_changelist")
    render_page(staff_client, url, "en")

    with CaptureQueriesContext(db_connection) as queries:
        html = render_page(staff_client, url, "en")

    assert "Order 10092 (Shopware sandbox)" in html
    channel_reads = [query["sql"] for query in queries.captured_queries if 'FROM "catalog_channel"' in query["sql"]]
    # One join of the orders with their channels, not one read per row.
    assert channel_reads == []
