"""The demo's start line reports the catalog products that have stock in the sandbox Odoo."""

import io

import pytest

from catalog.models import Product
from integrations.odoo.demo import prepare_odoo_demo
from integrations.sandbox.odoo import seed

pytestmark = pytest.mark.django_db


def start_demo():
    stdout = io.StringIO()
    prepare_odoo_demo(stdout)
    return stdout.getvalue()


def test_first_start_counts_added_products(settings):
    settings.SANDBOX_ENABLED = True
    Product.objects.create(sku="DEMO-1")
    Product.objects.create(sku="DEMO-2")

    output = start_demo()

    assert "Odoo connection created, 2 catalog products stocked in Odoo (2 added in this run)" in output


def test_restart_counts_existing_stock(settings):
    settings.SANDBOX_ENABLED = True
    Product.objects.create(sku="DEMO-1")
    Product.objects.create(sku="DEMO-2")
    start_demo()

    output = start_demo()

    assert "Odoo connection present, 2 catalog products stocked in Odoo (0 added in this run)" in output


def test_restart_leaves_out_sold_out_products(settings):
    settings.SANDBOX_ENABLED = True
    Product.objects.create(sku="DEMO-1")
    Product.objects.create(sku="DEMO-2")
    start_demo()
    seed.set_stock("DEMO-2", 0)
    # A product that Odoo has but the catalog does not is not part of the demo's figure.
    seed.add_product("ODOO-ONLY", "Odoo only", quantity=5)

    output = start_demo()

    assert "Odoo connection present, 1 catalog products stocked in Odoo (0 added in this run)" in output
