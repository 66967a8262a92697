"""The German admin shows stock quantities without trailing zeros: 38 and 2,5, never 38,000."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from tests.factories import (
    ChannelStockBufferFactory,
    ProductFactory,
    StockLevelFactory,
    StockMovementFactory,
    StockReservationFactory,
)

pytestmark = pytest.mark.django_db


def german_page(client, url):
    with translation.override("de"):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    return response.content.decode()


def cell(html, name):
    """Return the texts of the list or inline cells of the column `name`."""
    return re.findall(rf'<td class="field-{name}">\s*(?:<p>)?([^<]*?)(?:</p>)?\s*</td>', html)


def readonly_value(html, name):
    """Return the text of the read-only field `name` on a change page."""
    match = re.search(rf'<div class="form-row field-{name}">.*?<div class="readonly">([^<]*)</div>', html, re.S)
    return match.group(1)


def test_stock_level_list_in_german(admin_client):
    StockLevelFactory(on_hand=Decimal("38.000"), reserved=Decimal("2.500"))

    html = german_page(admin_client, reverse("admin:catalog_stocklevel_changelist"))

    assert cell(html, "on_hand_shown") == ["38"]
    assert cell(html, "reserved_shown") == ["2,5"]
    assert cell(html, "available_shown") == ["35,5"]


def test_stock_level_page_in_german(admin_client):
    level = StockLevelFactory(on_hand=Decimal("1000.000"), reserved=Decimal("0"))

    html = german_page(admin_client, reverse("admin:catalog_stocklevel_change", args=[level.pk]))

    assert readonly_value(html, "on_hand_shown") == "1000"
    assert readonly_value(html, "reserved_shown") == "0"
    assert readonly_value(html, "available_shown") == "1000"


def test_product_stock_inline_in_german(admin_client):
    product = ProductFactory()
    StockLevelFactory(product=product, on_hand=Decimal("38"), reserved=Decimal("0.250"))

    html = german_page(admin_client, reverse("admin:catalog_product_change", args=[product.pk]))

    assert cell(html, "on_hand_shown") == ["38"]
    assert cell(html, "reserved_shown") == ["0,25"]
    assert cell(html, "available_shown") == ["37,75"]


def test_stock_movement_list_and_page_in_german(admin_client):
    movement = StockMovementFactory(on_hand_delta=Decimal("-2.500"), reserved_delta=Decimal("12.000"))

    list_html = german_page(admin_client, reverse("admin:catalog_stockmovement_changelist"))
    page_html = german_page(admin_client, reverse("admin:catalog_stockmovement_change", args=[movement.pk]))

    assert cell(list_html, "on_hand_delta_shown") == ["-2,5"]
    assert cell(list_html, "reserved_delta_shown") == ["12"]
    assert readonly_value(page_html, "on_hand_delta_shown") == "-2,5"
    assert readonly_value(page_html, "reserved_delta_shown") == "12"


def test_stock_reservation_list_and_page_in_german(admin_client):
    reservation = StockReservationFactory(quantity=Decimal("3.000"))

    list_html = german_page(admin_client, reverse("admin:catalog_stockreservation_changelist"))
    page_html = german_page(admin_client, reverse("admin:catalog_stockreservation_change", args=[reservation.pk]))

    assert cell(list_html, "quantity_shown") == ["3"]
    assert readonly_value(page_html, "quantity_shown") == "3"


def test_channel_buffer_list_in_german(admin_client):
    ChannelStockBufferFactory(quantity=Decimal("1.500"))

    html = german_page(admin_client, reverse("admin:catalog_channelstockbuffer_changelist"))

    assert cell(html, "quantity_shown") == ["1,5"]
