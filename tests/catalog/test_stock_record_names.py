"""Stock records are named with their quantity as people read it: 38 and 2,5 in German, never 38.000."""

import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from tests.admin_pages import render_page
from tests.factories import (
    ChannelFactory,
    ChannelStockBufferFactory,
    ProductFactory,
    StockLevelFactory,
    StockMovementFactory,
    StockReservationFactory,
    WarehouseFactory,
)

pytestmark = pytest.mark.django_db


def title_object(page_html):
    """Return the object's name from the change page's <title>, which reads "<object> | <action> | <site>"."""
    title = re.search(r"<title>(.*?)</title>", page_html, re.S).group(1)
    return html.unescape(title).split(" | ")[0].strip()


def inline_labels(page_html):
    """Return the names that a tabular inline shows above each existing row."""
    return [html.unescape(label) for label in re.findall(r'<td class="original">\s*<p>\s*(.*?)\s*</p>', page_html, re.S)]


@pytest.fixture
def product():
    return ProductFactory(sku="SKU-38")


@pytest.fixture
def warehouse():
    return WarehouseFactory(code="main", name="Main")


def test_stock_level_page_title(admin_client, product, warehouse):
    level = StockLevelFactory(product=product, warehouse=warehouse, on_hand=Decimal("38.000"))
    url = reverse("admin:catalog_stocklevel_change", args=[level.pk])

    german = render_page(admin_client, url, "de")
    english = render_page(admin_client, url, "en")

    assert title_object(german) == "SKU-38 @ Main: 38"
    assert title_object(english) == "SKU-38 @ Main: 38"


def test_stock_level_fraction_in_title(admin_client, product, warehouse):
    level = StockLevelFactory(product=product, warehouse=warehouse, on_hand=Decimal("2.500"))
    url = reverse("admin:catalog_stocklevel_change", args=[level.pk])

    german = render_page(admin_client, url, "de")
    english = render_page(admin_client, url, "en")

    assert title_object(german) == "SKU-38 @ Main: 2,5"
    assert title_object(english) == "SKU-38 @ Main: 2.5"


def test_product_stock_inline_labels(admin_client, product, warehouse):
    StockLevelFactory(product=product, warehouse=warehouse, on_hand=Decimal("38.000"))
    StockLevelFactory(product=product, warehouse=WarehouseFactory(code="store", name="Store"), on_hand=Decimal("1000.500"))

    german = render_page(admin_client, reverse("admin:catalog_product_change", args=[product.pk]), "de")

    assert inline_labels(german) == ["SKU-38 @ Main: 38", "SKU-38 @ Store: 1000,5"]


def test_stock_movement_page_title(admin_client, product, warehouse):
    movement = StockMovementFactory(product=product, warehouse=warehouse, on_hand_delta=Decimal("12.000"), reserved_delta=Decimal("-2.500"))

    german = render_page(admin_client, reverse("admin:catalog_stockmovement_change", args=[movement.pk]), "de")

    assert title_object(german) == "SKU-38 @ Main: +12 / -2,5"


def test_unchanged_movement_quantity_has_plus_sign(product, warehouse):
    movement = StockMovementFactory(product=product, warehouse=warehouse, on_hand_delta=Decimal("0.000"), reserved_delta=Decimal("0.250"))
    movement.refresh_from_db()

    with translation.override("de"):
        name = str(movement)

    assert name == "SKU-38 @ Main: +0 / +0,25"


def test_stock_reservation_page_title(admin_client, product, warehouse):
    reservation = StockReservationFactory(order_line__product=product, warehouse=warehouse, quantity=Decimal("3.000"))

    german = render_page(admin_client, reverse("admin:catalog_stockreservation_change", args=[reservation.pk]), "de")

    assert title_object(german) == "3 x SKU-38 (offen)"


def test_channel_buffer_page_title(admin_client, product):
    buffer = ChannelStockBufferFactory(channel=ChannelFactory(code="shop-de", name="Shop DE"), product=product, quantity=Decimal("1.500"))

    german = render_page(admin_client, reverse("admin:catalog_channelstockbuffer_change", args=[buffer.pk]), "de")

    assert title_object(german) == "Shop DE: 1,5"
