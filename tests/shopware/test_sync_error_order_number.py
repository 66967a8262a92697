"""A rejected Shopware order's sync error is named by its order number in the admin, not by its UUID.

The orders arrive through the signed webhook and the inbox, as in production, and the pages are
the admin's own list and detail pages in English and German.
"""

import re

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from integrations.models import SyncDirection
from integrations.services.inbox import process_inbound_event
from integrations.services.syncruns import record_sync_error
from tests.admin_pages import render_page
from tests.shopware.webhook_posts import order_invalid_error, post_fixture_order

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:integrations_syncerror_changelist")
SHOPWARE_ID = "a3b9f0c2d4e64f1f8b2c7d9e0f1a2b3c"


def unknown_sku(order):
    order["lineItems"][0]["payload"]["productNumber"] = "NO-SUCH-SKU-42"


def rejected_order(client, **order_changes):
    """Post the fixture order with an unknown SKU, process it and return its sync error."""
    event = post_fixture_order(client, unknown_sku, **order_changes)
    process_inbound_event(event.pk)
    return order_invalid_error(event)


def record_cells(html):
    return re.findall(r'<td class="field-record_label">([^<]*)</td>', html)


def subtitle(html):
    return re.search(r"<h2>([^<]*)</h2>", html).group(1)


def readonly_record(html):
    """Return the value of the read-only record field on a detail page."""
    match = re.search(r'<div class="form-row field-record_label">.*?<div class="readonly">([^<]*)</div>', html, re.DOTALL)
    return match.group(1)


def detail_url(sync_error):
    return reverse("admin:integrations_syncerror_change", args=[sync_error.pk])


def test_list_names_order_by_number(admin_client, connection, make_product):
    # given order 10042, rejected because of an unknown SKU
    make_product("SW-TEST-1")
    error = rejected_order(admin_client)

    # when the list opens in English and in German
    english = render_page(admin_client, LIST_URL, "en")
    german = render_page(admin_client, LIST_URL, "de")

    # then the record column shows the order number, not the Shopware id
    assert error.external_id == SHOPWARE_ID
    assert record_cells(english) == ["Order 10042"]
    assert record_cells(german) == ["Bestellung 10042"]


def test_detail_page_names_order_by_number(admin_client, connection, make_product):
    # given order 10042, rejected because of an unknown SKU
    make_product("SW-TEST-1")
    error = rejected_order(admin_client)

    # when its page opens in English and in German
    english = render_page(admin_client, detail_url(error), "en")
    german = render_page(admin_client, detail_url(error), "de")

    # then the subtitle and the record field name the order number
    assert subtitle(english) == "Shopware DE inbound Order 10042: order_invalid"
    assert readonly_record(english) == "Order 10042"
    assert subtitle(german) == "Shopware DE eingehend Bestellung 10042: order_invalid"
    assert readonly_record(german) == "Bestellung 10042"
    # and the breadcrumb ends with the same name
    assert "&rsaquo; Shopware DE inbound Order 10042: order_invalid\n</div>" in english
    # and the Shopware id is still shown as the external id
    assert f'<div class="readonly">{SHOPWARE_ID}</div>' in english


def test_order_without_number_keeps_shopware_id(admin_client, connection, make_product):
    # given an order rejected because its payload has no orderNumber
    make_product("SW-TEST-1")
    event = post_fixture_order(admin_client, orderNumber=None)
    process_inbound_event(event.pk)
    error = order_invalid_error(event)

    # when the list and the page open in German
    listing = render_page(admin_client, LIST_URL, "de")
    detail = render_page(admin_client, detail_url(error), "de")

    # then the error is named by the Shopware id, as before
    assert record_cells(listing) == [SHOPWARE_ID]
    assert readonly_record(detail) == SHOPWARE_ID
    assert subtitle(detail) == f"Shopware DE eingehend Bestellungen {SHOPWARE_ID}: order_invalid"


def test_search_finds_number_in_payload(admin_client, connection):
    # given an unexpected failure of order 10042, whose message does not name the order
    event = post_fixture_order(admin_client)
    error = record_sync_error(
        connection, SyncDirection.INBOUND, RuntimeError("boom"),
        entity=event.entity, external_id=event.external_id, payload=event.payload, attempts=1, inbound_event=event,
    )
    assert "10042" not in error.message

    # when the list is searched for the order number and for another number
    found = render_page(admin_client, f"{LIST_URL}?q=10042", "en")
    other = render_page(admin_client, f"{LIST_URL}?q=10043", "en")

    # then only the search for its number finds it
    assert record_cells(found) == ["Order 10042"]
    assert record_cells(other) == []


def test_order_numbers_cost_no_query_per_row(admin_client, connection, make_product):
    # given one rejected order
    make_product("SW-TEST-1")
    rejected_order(admin_client)
    with CaptureQueriesContext(db_connection) as one_row:
        render_page(admin_client, LIST_URL, "de")

    # when three more orders are rejected
    for number in range(10043, 10046):
        rejected_order(admin_client, id=f"{number}f0c2d4e64f1f8b2c7d9e0f1a2b3c", orderNumber=str(number))
    with CaptureQueriesContext(db_connection) as four_rows:
        listing = render_page(admin_client, LIST_URL, "de")

    # then the page shows each number and takes as many queries as before
    assert sorted(record_cells(listing)) == ["Bestellung 10042", "Bestellung 10043", "Bestellung 10044", "Bestellung 10045"]
    assert len(four_rows) == len(one_row)
