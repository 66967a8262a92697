"""The order list shows whether each order is waiting for the ERP, in it, or failed to reach it."""

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from integrations.models import (
    Binding,
    Connection,
    LeadingSystemRule,
    OutboundMessage,
    OutboundState,
    SyncDirection,
    SyncError,
)
from orders.erpstate import ErpState, erp_connection_id, with_erp_state
from orders.models import Order, OrderStatus
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:orders_order_changelist")


@pytest.fixture
def shop():
    return Connection.objects.create(kind="shopware", name="Shop DE", slug="shop-de", base_url="https://shop.example.com")


@pytest.fixture
def erp():
    return Connection.objects.create(kind="odoo", name="Odoo", slug="odoo", base_url="https://erp.example.com")


@pytest.fixture
def erp_leads_status(erp):
    return LeadingSystemRule.objects.create(domain="orders", field_group="status", connection=erp)


def message_for(connection, order, state, *, entity="orders"):
    """Store an outbound message about `order` to `connection` in `state`."""
    return OutboundMessage.objects.create(
        connection=connection,
        entity=entity,
        content_type=ContentType.objects.get_for_model(Order),
        object_id=str(order.pk),
        payload={"order_id": order.pk, "number": order.external_number},
        fingerprint="0" * 64,
        idempotency_key=f"{connection.slug}-{entity}-{order.pk}-{OutboundMessage.objects.count()}",
        lane="hot",
        state=state,
        next_attempt_at=timezone.now(),
    )


def error_for(message, *, resolved=False):
    """Record the sync error of a failed outbound message."""
    return SyncError.objects.create(
        connection=message.connection,
        direction=SyncDirection.OUTBOUND,
        entity=message.entity,
        content_type=message.content_type,
        object_id=message.object_id,
        outbound_message=message,
        code="rejected",
        message="Rejected by the ERP.",
        resolved=resolved,
    )


def bind(connection, order, external_id):
    return Binding.objects.create(
        connection=connection, content_type=ContentType.objects.get_for_model(Order), object_id=str(order.pk), external_id=external_id
    )


def states_by_number(erp_id):
    return dict(with_erp_state(Order.objects.all(), erp_id).values_list("external_number", "erp_state"))


def orders_in_every_state(shop, erp):
    """Create one order for each ERP state and return {order number: expected state}."""
    waiting = OrderFactory(external_number="20001", connection=shop)
    message_for(erp, waiting, OutboundState.PENDING)

    in_flight = OrderFactory(external_number="20002", connection=shop)
    message_for(erp, in_flight, OutboundState.IN_FLIGHT)

    bound = OrderFactory(external_number="20003", connection=shop, status=OrderStatus.CONFIRMED)
    bind(erp, bound, "SO-3")

    delivered = OrderFactory(external_number="20004", connection=shop, status=OrderStatus.CONFIRMED)
    message_for(erp, delivered, OutboundState.DELIVERED)

    failed = OrderFactory(external_number="20005", connection=shop)
    error_for(message_for(erp, failed, OutboundState.FAILED))

    # The ERP has the order, but its latest version failed.
    bound_then_failed = OrderFactory(external_number="20006", connection=shop, status=OrderStatus.CONFIRMED)
    bind(erp, bound_then_failed, "SO-6")
    error_for(message_for(erp, bound_then_failed, OutboundState.FAILED))

    # Support marked the error resolved, but the ERP never got the order.
    resolved_by_hand = OrderFactory(external_number="20007", connection=shop)
    error_for(message_for(erp, resolved_by_hand, OutboundState.FAILED), resolved=True)

    # A new order without a message waits for the ERP poll to queue it.
    new_without_message = OrderFactory(external_number="20008", connection=shop)

    confirmed_without_message = OrderFactory(external_number="20009", connection=shop, status=OrderStatus.CONFIRMED)

    # Errors of other connections and of other entities of the order are not the ERP delivery.
    other_errors = OrderFactory(external_number="20010", connection=shop, status=OrderStatus.CONFIRMED)
    bind(erp, other_errors, "SO-10")
    error_for(message_for(shop, other_errors, OutboundState.FAILED))
    error_for(message_for(erp, other_errors, OutboundState.FAILED, entity="payments"))

    taken_by_erp = OrderFactory(external_number="20011", connection=erp)

    assert new_without_message.status == OrderStatus.NEW
    assert confirmed_without_message.status == OrderStatus.CONFIRMED
    assert taken_by_erp.connection_id == erp.pk
    return {
        "20001": ErpState.WAITING,
        "20002": ErpState.WAITING,
        "20003": ErpState.IN_ERP,
        "20004": ErpState.IN_ERP,
        "20005": ErpState.FAILED,
        "20006": ErpState.FAILED,
        "20007": ErpState.NOT_SENT,
        "20008": ErpState.WAITING,
        "20009": ErpState.NOT_SENT,
        "20010": ErpState.IN_ERP,
        "20011": None,
    }


def list_cells(client, url=LIST_URL, language="de"):
    """Return {order number: ERP state cell} of the order list in `language`, the page and its query count."""
    with translation.override(language), CaptureQueriesContext(db_connection) as queries:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    html = response.content.decode()
    cells = {}
    for row in html.split("<tr")[1:]:
        number = re.search(r'field-external_number"><a href="[^"]*">([^<]*)</a>', row)
        cell = re.search(r'<td class="field-erp_state_shown">(.*?)</td>', row)
        if number and cell:
            cells[number.group(1)] = re.sub(r"<[^>]+>", "", cell.group(1))
    return cells, html, len(queries)


def test_erp_connection_leads_status(erp, erp_leads_status):
    assert erp_connection_id() == erp.pk


def test_erp_connection_missing():
    assert erp_connection_id() is None


def test_each_state_derived(shop, erp, erp_leads_status):
    expected = orders_in_every_state(shop, erp)

    states = states_by_number(erp.pk)

    for number, state in expected.items():
        assert states[number] == state, f"order {number}"


def test_no_erp_no_state(shop, erp):
    # given orders with messages, but no connection that leads the order status
    orders_in_every_state(shop, erp)

    # then no order has an ERP state
    states = states_by_number(erp_connection_id())

    assert set(states.values()) == {None}


def test_order_list_german_states(admin_client, shop, erp, erp_leads_status):
    expected = orders_in_every_state(shop, erp)

    cells, html, _queries = list_cells(admin_client)

    assert "ERP-Übergabe" in html
    assert cells["20001"] == "Wartet auf ERP"
    assert cells["20003"] == "Im ERP"
    assert cells["20005"] == "Fehlgeschlagen – siehe Synchronisationsfehler"
    assert cells["20007"] == "Nicht an ERP gesendet"
    assert cells["20011"] == "-"
    assert len(cells) == len(expected)


def test_order_list_english_states(admin_client, shop, erp, erp_leads_status):
    orders_in_every_state(shop, erp)

    cells, html, _queries = list_cells(admin_client, language="en")

    assert "ERP delivery" in html
    assert cells["20001"] == "Waiting for ERP"
    assert cells["20003"] == "In ERP"
    assert cells["20005"] == "Failed – see sync errors"
    assert cells["20007"] == "Not sent to ERP"


def test_failed_state_links_sync_errors(admin_client, shop, erp, erp_leads_status):
    # given a failed order beside an order whose payment summary failed
    orders_in_every_state(shop, erp)
    failed = Order.objects.get(external_number="20005")
    failed_error = SyncError.objects.get(object_id=str(failed.pk))

    # when support follows the link in the failed order's cell
    _cells, html, _queries = list_cells(admin_client)
    links = {}
    for row in html.split("<tr")[1:]:
        number = re.search(r'field-external_number"><a href="[^"]*">([^<]*)</a>', row)
        link = re.search(r'<td class="field-erp_state_shown"><a href="([^"]*)">', row)
        if number and link:
            links[number.group(1)] = link.group(1).replace("&amp;", "&")
    errors_page = admin_client.get(links["20005"])

    # then only the failed orders link, and the list shows the failed order's open error alone
    assert sorted(links) == ["20005", "20006"]
    assert errors_page.status_code == 200
    assert [error.pk for error in errors_page.context["cl"].result_list] == [failed_error.pk]


def test_order_list_filter_waiting(admin_client, shop, erp, erp_leads_status):
    orders_in_every_state(shop, erp)

    cells, html, _queries = list_cells(admin_client, LIST_URL + "?erp_state=waiting")

    assert sorted(cells) == ["20001", "20002", "20008"]
    assert '<a href="?erp_state=failed">Fehlgeschlagen – siehe Synchronisationsfehler</a>' in html


def test_order_list_filter_failed(admin_client, shop, erp, erp_leads_status):
    orders_in_every_state(shop, erp)

    cells, _html, _queries = list_cells(admin_client, LIST_URL + "?erp_state=failed")

    assert sorted(cells) == ["20005", "20006"]


def test_order_list_filter_hidden_without_erp(admin_client, shop, erp):
    orders_in_every_state(shop, erp)

    cells, html, _queries = list_cells(admin_client)

    assert "?erp_state=" not in html
    assert set(cells.values()) == {"-"}


def test_erp_states_no_query_per_row(admin_client, shop, erp, erp_leads_status):
    # given three orders in different states
    for state in (OutboundState.PENDING, OutboundState.DELIVERED, OutboundState.FAILED):
        message_for(erp, OrderFactory(connection=shop), state)
    _cells, _html, queries_for_three = list_cells(admin_client)

    # when ten more orders in the same states are added
    for index in range(10):
        state = (OutboundState.PENDING, OutboundState.DELIVERED, OutboundState.FAILED)[index % 3]
        message = message_for(erp, OrderFactory(connection=shop), state)
        if state == OutboundState.FAILED:
            error_for(message)
    cells, _html, queries_for_thirteen = list_cells(admin_client)

    # then the page takes as many queries as before
    assert len(cells) == 13
    assert queries_for_thirteen == queries_for_three


def test_order_page_shows_its_erp_state(admin_client, shop, erp, erp_leads_status):
    # Support opens one order from a search or a link; its page shows the ERP state too.
    waiting = OrderFactory(external_number="20101", connection=shop)
    message_for(erp, waiting, OutboundState.PENDING)
    failed = OrderFactory(external_number="20102", connection=shop)
    error_for(message_for(erp, failed, OutboundState.FAILED))

    waiting_page = admin_client.get(reverse("admin:orders_order_change", args=[waiting.pk]), headers={"accept-language": "de"})
    failed_page = admin_client.get(reverse("admin:orders_order_change", args=[failed.pk]), headers={"accept-language": "de"})

    assert re.search(r"ERP-Übergabe:?</label>\s*<div class=\"readonly\">Wartet auf ERP</div>", waiting_page.content.decode())
    failed_html = failed_page.content.decode()
    assert "Fehlgeschlagen – siehe Synchronisationsfehler</a>" in failed_html
    assert f"object_id={failed.pk}" in failed_html
