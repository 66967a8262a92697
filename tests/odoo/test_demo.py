import io

import pytest
from django_q.models import Schedule

from catalog.models import Product
from integrations.models import Connection, LeadingSystemRule
from integrations.odoo.demo import demo_quantity, prepare_odoo_demo
from integrations.sandbox.odoo import records, seed

pytestmark = pytest.mark.django_db


def test_demo_wires_shop_and_odoo_once(settings):
    settings.SANDBOX_ENABLED = True
    Product.objects.create(sku="DEMO-1")

    prepare_odoo_demo(io.StringIO())
    prepare_odoo_demo(io.StringIO())

    assert sorted(Connection.objects.values_list("kind", flat=True)) == ["odoo", "shopware"]
    erp = Connection.objects.get(kind="odoo")
    assert erp.base_url == "http://127.0.0.1:8000/sandbox/odoo"
    assert LeadingSystemRule.objects.get(domain="stock", field_group="").connection == erp
    assert LeadingSystemRule.objects.get(domain="orders", field_group="lines").connection.kind == "shopware"
    product = seed.product_by_sku("DEMO-1")
    [quant] = records.search("stock.quant", [["product_id", "=", product["id"]]])
    assert quant["quantity"] == demo_quantity("DEMO-1")
    assert sorted(Schedule.objects.values_list("name", flat=True)) == ["odoo pollers", "sandbox order stream"]


def test_order_stream_starts_at_once_on_restart(settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.SANDBOX_ENABLED = True
    prepare_odoo_demo(io.StringIO())
    # A stopped run leaves the schedule pointing at its next run, minutes ahead.
    Schedule.objects.filter(name="sandbox order stream").update(next_run=timezone.now() + timedelta(minutes=21))

    prepare_odoo_demo(io.StringIO())

    next_run = Schedule.objects.get(name="sandbox order stream").next_run
    assert next_run <= timezone.now()


def test_restart_on_another_port_follows_the_address(settings, monkeypatch):
    from integrations.sandbox.shopware import state

    settings.SANDBOX_ENABLED = True
    prepare_odoo_demo(io.StringIO())

    monkeypatch.setenv("KONTOR_ADDRESS", "127.0.0.1:8871")
    prepare_odoo_demo(io.StringIO())

    assert Connection.objects.get(kind="odoo").base_url == "http://127.0.0.1:8871/sandbox/odoo"
    assert Connection.objects.get(kind="shopware").base_url == "http://127.0.0.1:8871/sandbox/shopware"
    hooks = {hook["url"] for hook in state.settings()["webhooks"]}
    assert hooks == {"http://127.0.0.1:8871/hooks/shopware-sandbox/"}
    assert state.settings()["shopUrl"] == "http://127.0.0.1:8871/sandbox/shopware"
