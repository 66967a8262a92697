"""Conflict titles start with the field's label and never nest brackets, and the integration lists show capitalized labels."""

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone, translation

from catalog.models import Warehouse
from integrations.models import Conflict, Connection, InboundEvent, LeadingSystemRule
from tests.admin_pages import render_page
from tests.factories import ChannelFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sandbox_shop():
    return Connection.objects.create(kind="shopware", name="Shopware (sandbox)", slug="shopware-sandbox", base_url="https://shop.example.com")


def status_conflict(connection, order):
    return Conflict.objects.create(
        connection=connection, content_type=ContentType.objects.get_for_model(order), object_id=str(order.pk),
        domain="orders", field_group="status", field="status", current_value="new", incoming_value="cancelled",
    )


def order_in(channel_name, number="10083"):
    return OrderFactory(channel=ChannelFactory(code="channel-1", name=channel_name), external_number=number)


def titles_of(conflict):
    with translation.override("en"):
        english = str(conflict)
    with translation.override("de"):
        german = str(conflict)
    return english, german


def test_title_for_order_from_own_channel(sandbox_shop):
    # The shop's channel has the connection's name, as Shopware intake names it.
    conflict = status_conflict(sandbox_shop, order_in("Shopware (sandbox)"))

    english, german = titles_of(conflict)

    assert english == "Status of Order 10083 from Shopware (sandbox)"
    assert german == "Status von Bestellung 10083 aus Shopware (sandbox)"


def test_title_for_bracketed_channel_of_other_connection(sandbox_shop):
    erp = Connection.objects.create(kind="odoo", name="Odoo sandbox", slug="odoo-sandbox", base_url="https://erp.example.com")
    conflict = status_conflict(erp, order_in("Shopware (sandbox)"))

    english, german = titles_of(conflict)

    assert english == "Status of Order 10083 from Shopware (sandbox), sent by Odoo sandbox"
    assert german == "Status von Bestellung 10083 aus Shopware (sandbox), gesendet von Odoo sandbox"


def test_title_for_plain_channel_of_other_connection():
    shop = Connection.objects.create(kind="shopware", name="Shop DE", slug="shop-de", base_url="https://shop.example.com")
    conflict = status_conflict(shop, order_in("Shopware sandbox"))

    english, german = titles_of(conflict)

    assert english == "Status of Order 10083 (Shopware sandbox) from Shop DE"
    assert german == "Status von Bestellung 10083 (Shopware sandbox) aus Shop DE"


def test_title_for_deleted_order(sandbox_shop):
    order = order_in("Shopware (sandbox)")
    conflict = status_conflict(sandbox_shop, order)
    order_id = order.pk
    order.delete()
    conflict = Conflict.objects.get(pk=conflict.pk)

    english, german = titles_of(conflict)

    assert english == f"Status of Order {order_id} from Shopware (sandbox)"
    assert german == f"Status von Bestellung {order_id} aus Shopware (sandbox)"


def test_title_for_field_not_on_model(sandbox_shop):
    warehouse = Warehouse.objects.create(code="W1", name="Main warehouse")
    conflict = Conflict.objects.create(
        connection=sandbox_shop, content_type=ContentType.objects.get_for_model(warehouse), object_id=str(warehouse.pk),
        domain="products", field_group="texts", field="translated_name", current_value="a", incoming_value="b",
    )

    english, _german = titles_of(conflict)

    assert english == f"Translated_name of Warehouse {warehouse} from Shopware (sandbox)"


@pytest.mark.parametrize(
    ("language", "label"),
    [("en", "Order 10083 from Shopware (sandbox)"), ("de", "Bestellung 10083 aus Shopware (sandbox)")],
)
def test_record_label_with_bracketed_channel(sandbox_shop, language, label):
    conflict = status_conflict(sandbox_shop, order_in("Shopware (sandbox)"))

    with translation.override(language):
        assert conflict.record_label() == label


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("en", "Status of Order 10083 from Shopware (sandbox)"),
        ("de", "Status von Bestellung 10083 aus Shopware (sandbox)"),
    ],
)
def test_conflict_page_title(staff_client, sandbox_shop, language, title):
    conflict = status_conflict(sandbox_shop, order_in("Shopware (sandbox)"))

    html = render_page(staff_client, reverse("admin:integrations_conflict_change", args=[conflict.pk]), language)

    assert f"<h2>{title}</h2>" in html
    assert f"&rsaquo; {title}" in html
    assert "(Shopware (sandbox))" not in html


@pytest.mark.parametrize(
    ("language", "cells"),
    [
        ("en", ['<td class="field-domain_label">Orders</td>', '<td class="field-field_group_label">Status</td>', '<td class="field-field_name">Status</td>']),
        ("de", ['<td class="field-domain_label">Bestellungen</td>', '<td class="field-field_group_label">Status</td>', '<td class="field-field_name">Status</td>']),
    ],
)
def test_conflict_list_capitalized_labels(staff_client, sandbox_shop, language, cells):
    status_conflict(sandbox_shop, order_in("Shopware (sandbox)"))

    html = render_page(staff_client, reverse("admin:integrations_conflict_changelist"), language)

    for cell in cells:
        assert cell in html
    assert ">orders</td>" not in html


def test_conflict_page_capitalized_labels(staff_client, sandbox_shop):
    conflict = status_conflict(sandbox_shop, order_in("Shopware (sandbox)"))

    html = render_page(staff_client, reverse("admin:integrations_conflict_change", args=[conflict.pk]), "en")

    assert '<div class="readonly">Orders</div>' in html
    assert '<div class="readonly">orders</div>' not in html


def test_conflict_list_sorts_by_domain(staff_client, sandbox_shop):
    status_conflict(sandbox_shop, order_in("Shopware (sandbox)"))

    response = staff_client.get(reverse("admin:integrations_conflict_changelist"), {"o": "2"})

    assert response.status_code == 200
    assert "sortable column-domain_label sorted" in response.content.decode()


def test_rule_list_capitalized_labels(staff_client, sandbox_shop):
    LeadingSystemRule.objects.create(domain="orders", field_group="status", connection=sandbox_shop)
    LeadingSystemRule.objects.create(domain="prices", connection=sandbox_shop)

    html = render_page(staff_client, reverse("admin:integrations_leadingsystemrule_changelist"), "en")

    # The first column links to the rule.
    assert re.search(r'<th class="field-domain_label"><a href="[^"]+">Orders</a></th>', html)
    assert re.search(r'<th class="field-domain_label"><a href="[^"]+">Prices</a></th>', html)
    assert '<td class="field-field_group_label">Status</td>' in html
    assert '<td class="field-field_group_label">-</td>' in html


@pytest.mark.parametrize(("language", "label"), [("en", "Orders"), ("de", "Bestellungen")])
def test_inbox_list_capitalized_entity(staff_client, sandbox_shop, language, label):
    InboundEvent.objects.create(
        connection=sandbox_shop, entity="orders", external_id="o-1", dedup_key="order.placed:o-1",
        source="webhook", payload={}, received_at=timezone.now(),
    )

    html = render_page(staff_client, reverse("admin:integrations_inboundevent_changelist"), language)

    assert f'<td class="field-entity_label">{label}</td>' in html
