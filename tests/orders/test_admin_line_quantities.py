"""The order, shipment and return pages show line quantities without trailing zeros: 2 and 2,5 in German, never 2,000."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.admin_pages import render_page
from tests.factories import (
    OrderFactory,
    ReturnFactory,
    ReturnLineFactory,
    ShipmentFactory,
    ShipmentLineFactory,
)

pytestmark = pytest.mark.django_db


def column_cells(page_html, name):
    """Return the texts of the inline cells of the column `name`, in the order of the rows."""
    return re.findall(rf'<td class="field-{name}">\s*(?:<p>)?([^<]*?)(?:</p>)?\s*</td>', page_html)


def column_header(page_html, name):
    return re.search(rf'<th class="column-{name}">\s*([^<]*?)\s*<', page_html).group(1)


@pytest.fixture
def order():
    """An order of two lines: 2 pieces of SKU-A and 2.5 metres of SKU-B."""
    return OrderFactory(lines=[{"sku": "SKU-A", "quantity": Decimal("2.000")}, {"sku": "SKU-B", "quantity": Decimal("2.500")}])


def test_order_page_line_quantities(admin_client, order):
    url = reverse("admin:orders_order_change", args=[order.pk])

    german = render_page(admin_client, url, "de")
    english = render_page(admin_client, url, "en")

    assert column_cells(german, "quantity_display") == ["2", "2,5"]
    assert column_cells(english, "quantity_display") == ["2", "2.5"]


def test_shipment_page_line_quantities(admin_client, order):
    shipment = ShipmentFactory(order=order)
    first, second = order.lines.order_by("position")
    ShipmentLineFactory(shipment=shipment, order_line=first, quantity=Decimal("1000.000"))
    ShipmentLineFactory(shipment=shipment, order_line=second, quantity=Decimal("0.250"))
    url = reverse("admin:orders_shipment_change", args=[shipment.pk])

    german = render_page(admin_client, url, "de")
    english = render_page(admin_client, url, "en")

    assert column_header(german, "quantity_display") == "Menge"
    # Shipment and return lines have no default ordering, so their rows may come in any order.
    assert sorted(column_cells(german, "quantity_display")) == ["0,25", "1000"]
    assert sorted(column_cells(english, "quantity_display")) == ["0.25", "1000"]


def test_return_page_line_quantities(admin_client, order):
    return_request = ReturnFactory(order=order)
    first, second = order.lines.order_by("position")
    ReturnLineFactory(return_request=return_request, order_line=first, quantity=Decimal("2.000"))
    ReturnLineFactory(return_request=return_request, order_line=second, quantity=Decimal("1.500"))
    url = reverse("admin:orders_return_change", args=[return_request.pk])

    german = render_page(admin_client, url, "de")
    english = render_page(admin_client, url, "en")

    assert column_header(german, "quantity_display") == "Menge"
    assert sorted(column_cells(german, "quantity_display")) == ["1,5", "2"]
    assert sorted(column_cells(english, "quantity_display")) == ["1.5", "2"]
