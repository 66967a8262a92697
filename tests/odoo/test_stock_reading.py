"""Odoo stock read before the handover locks the levels, applied unless a newer read was applied."""

from decimal import Decimal

import pytest
from django.db import transaction

from catalog.models import StockLevel
from integrations.domains import Domain
from integrations.odoo.client import OdooClient
from integrations.odoo.inbound import read_stock, record_stock_reading
from integrations.odoo.tasks import poll_once
from integrations.sandbox.odoo import seed
from integrations.services.bindings import bind
from tests.odoo.conftest import make_odoo_connection
from tests.odoo.helpers import install_recording_shop, make_pair, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def erp(sandbox):
    install_recording_shop()
    connection = make_odoo_connection()
    make_pair(connection)
    return connection


def odoo_product(erp, sku, quantity):
    """Create the product in Kontor and Odoo, bound to each other as an order push binds them."""
    product = make_product(sku, on_hand=0, odoo_quantity=quantity)
    bind(erp, product, seed.product_by_sku(sku)["id"])
    return product


def odoo_level(erp, sku):
    return StockLevel.objects.get(product__sku=sku, warehouse__code=f"{erp.slug}-wh")


def test_reading_applied_to_levels(erp):
    # Given a product whose Odoo stock the stock loop applied, and which Odoo then changed
    camera = odoo_product(erp, "CAM-1", 7)
    poll_once(erp.pk, [Domain.STOCK])
    seed.set_stock("CAM-1", 5)

    # When the handover reads Odoo and records the reading
    reading = read_stock(erp, OdooClient(erp), [camera.pk])
    with transaction.atomic():
        changed = record_stock_reading(erp, reading, reference="handover")

    # Then the level has Odoo's new figure
    assert changed == [camera.pk]
    assert odoo_level(erp, "CAM-1").on_hand == Decimal(5)


def test_newer_loop_read_wins_over_reading(erp):
    # Given a reading of Odoo's stock, and a later change that the stock loop applied meanwhile
    camera = odoo_product(erp, "CAM-1", 7)
    poll_once(erp.pk, [Domain.STOCK])
    reading = read_stock(erp, OdooClient(erp), [camera.pk])
    seed.set_stock("CAM-1", 3)
    poll_once(erp.pk, [Domain.STOCK])

    # When the older reading is recorded
    with transaction.atomic():
        changed = record_stock_reading(erp, reading, reference="handover")

    # Then the loop's newer figure stays
    assert changed == []
    assert odoo_level(erp, "CAM-1").on_hand == Decimal(3)
