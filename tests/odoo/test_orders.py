from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from django.utils import timezone

from integrations.models import Binding, OutboundMessage, OutboundState, SyncError
from integrations.odoo.client import OdooClient
from integrations.sandbox import faults
from integrations.sandbox.odoo import records, seed
from integrations.sandbox.testing import TEST_HOST
from integrations.services.delivery import claim_message, deliver_message
from tests.odoo.conftest import make_odoo_connection
from tests.odoo.helpers import (
    install_recording_shop,
    line,
    make_pair,
    make_product,
    order_message,
    place_order,
    sale_orders,
)

pytestmark = pytest.mark.django_db


def make_due(message):
    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


@pytest.fixture
def recording_shop():
    return install_recording_shop()


@pytest.mark.parametrize("version", ["19.0", "17.0"])
def test_order_reaches_odoo_confirmed_with_shop_total(sandbox, recording_shop, version):
    seed.configure(version=version)
    erp = make_odoo_connection(version=version)
    channel, shop = make_pair(erp)
    make_product("CAM-1")
    make_product("BAG-2")
    order = place_order(channel, shop, "10001", [
        line("CAM-1", 3, gross="10.00", net="8.40", tax="1.60"),
        line("BAG-2", 1, gross="5.95", net="5.00", tax="0.95"),
    ], shipping=("4.20", "0.80", "5.00"))

    state = deliver_message(order_message(order, erp).pk)

    assert state == OutboundState.DELIVERED
    [sale_order] = sale_orders("10001")
    assert sale_order["state"] == "sale"
    assert Decimal(str(sale_order["amount_total"])) == order.total_gross == Decimal("20.95")
    assert [(line["product_uom_qty"], line["price_unit"]) for line in sale_order["_lines"]] == [(2.0, 3.33), (1.0, 3.34), (1.0, 5.95), (1.0, 5.0)]
    assert Binding.objects.get(connection=erp, object_id=str(order.pk), content_type__model="order").external_id == str(sale_order["id"])
    order.refresh_from_db()
    assert order.needs_attention is False


def test_retry_after_timeout_finds_existing_sale_order(sandbox, recording_shop):
    erp = make_odoo_connection()
    channel, shop = make_pair(erp)
    make_product("CAM-1")
    order = place_order(channel, shop, "10002", [line("CAM-1")])
    message = order_message(order, erp)

    # Odoo commits the create, but its response never arrives.
    from django.test import Client

    django_client = Client()

    def create_then_time_out(request):
        response = django_client.generic("POST", request.url.replace(TEST_HOST, ""), data=request.body, content_type="application/json", headers={"Authorization": request.headers["Authorization"]})
        assert response.status_code == 200
        return requests.exceptions.ReadTimeout("Read timed out")

    sandbox.add_callback("POST", f"{TEST_HOST}/sandbox/odoo/json/2/sale.order/create", callback=create_then_time_out)
    # responses uses the first matching registration, so put this one before the sandbox route.
    sandbox.registered().insert(0, sandbox.registered().pop())

    first = deliver_message(message.pk)
    make_due(message)
    second = deliver_message(message.pk)

    assert first == OutboundState.PENDING
    assert second == OutboundState.DELIVERED
    assert len(sale_orders("10002")) == 1
    assert sale_orders("10002")[0]["state"] == "sale"


def test_erp_outage_orders_delivered_in_order(sandbox, recording_shop):
    erp = make_odoo_connection()
    channel, shop = make_pair(erp)
    make_product("CAM-1", on_hand=50)
    faults.update_faults("odoo", {"server_error_percent": 100, "server_error_status": 502})
    orders = [place_order(channel, shop, f"2000{index}", [line("CAM-1")]) for index in range(5)]
    messages = [order_message(order, erp) for order in orders]

    during_outage = [deliver_message(message.pk) for message in messages]
    faults.reset_faults("odoo")
    from django.conf import settings

    from integrations.ratelimit import redis_client

    redis_client(settings.REDIS_URL).flushdb()
    for message in messages:
        make_due(message)
    after = [deliver_message(message.pk) for message in messages]

    assert during_outage == [OutboundState.PENDING] * 5
    assert after == [OutboundState.DELIVERED] * 5
    created = records.search("sale.order", [["client_order_ref", "in", [order.external_number for order in orders]]], order="id asc")
    assert [row["client_order_ref"] for row in created] == ["20000", "20001", "20002", "20003", "20004"]
    assert SyncError.objects.count() == 0


def test_worker_killed_mid_delivery_delivers_once(sandbox, recording_shop):
    erp = make_odoo_connection()
    channel, shop = make_pair(erp)
    make_product("CAM-1")
    order = place_order(channel, shop, "10003", [line("CAM-1")])
    message = order_message(order, erp)

    # Worker A claims the message, creates the sale order in Odoo and dies before recording it.
    claimed = claim_message(message.pk)
    erp.connector.deliver(claimed)
    blocked = deliver_message(message.pk)
    OutboundMessage.objects.filter(pk=message.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    taken_over = deliver_message(message.pk)

    assert blocked is None
    assert taken_over == OutboundState.DELIVERED
    assert len(sale_orders("10003")) == 1
    message.refresh_from_db()
    assert message.attempts == 2


def test_overlapping_creates_keep_one_sale_order(sandbox, recording_shop):
    erp = make_odoo_connection()
    channel, shop = make_pair(erp)
    make_product("CAM-1")
    order = place_order(channel, shop, "10004", [line("CAM-1")])
    client = OdooClient(erp)
    partner_id = client.create("res.partner", {"name": "Other attempt", "email": "x@example.com"})
    product_id = seed.product_by_sku("CAM-1")["id"]
    # Another attempt created a draft between this attempt's search and its create.
    from integrations.odoo import push

    original = push._sale_orders_for
    calls = []

    def search_then_race(client, reference):
        found = original(client, reference)
        if not calls:
            client.create("sale.order", {"partner_id": partner_id, "client_order_ref": reference, "order_line": [[0, 0, {"product_id": product_id, "product_uom_qty": 1, "price_unit": 11.9}]]})
        calls.append(reference)
        return found

    push._sale_orders_for = search_then_race
    try:
        sale_order_id = push.deliver_order(erp, order.pk)
    finally:
        push._sale_orders_for = original

    active = [row for row in sale_orders("10004")]
    assert len(active) == 1
    assert str(active[0]["id"]) == sale_order_id
    assert active[0]["state"] == "sale"


def test_missing_product_in_odoo_is_sync_error(sandbox, recording_shop):
    erp = make_odoo_connection()
    channel, shop = make_pair(erp)
    make_product("CAM-1")
    from catalog.models import Product

    Product.objects.create(sku="NOT-IN-ODOO")
    from catalog.models import Warehouse
    from catalog.services import stock

    stock.record_on_hand(Product.objects.get(sku="NOT-IN-ODOO"), Warehouse.objects.get(code="wh"), 3)
    order = place_order(channel, shop, "10005", [line("CAM-1"), line("NOT-IN-ODOO")])

    state = deliver_message(order_message(order, erp).pk)

    assert state == OutboundState.FAILED
    error = SyncError.objects.get()
    assert error.code == "odoo_product_missing"
    assert "NOT-IN-ODOO" in error.message
    assert sale_orders("10005") == []


def test_global_tax_rounding_difference_is_flagged(sandbox, recording_shop):
    seed.configure(tax_rounding="round_globally")
    erp = make_odoo_connection()
    channel, shop = make_pair(erp)
    for sku in ("A-1", "B-2", "C-3"):
        make_product(sku)
    # Three lines of 0.05 gross at 19%, rounded per line by the shop: 0.04 net + 0.01 tax each.
    # Odoo rounding globally: net 3 x 0.04 = 0.12 and tax round(3 x 0.00798) = 0.02, total 0.14.
    order = place_order(channel, shop, "10006", [line(sku, gross="0.05", net="0.04", tax="0.01") for sku in ("A-1", "B-2", "C-3")])

    state = deliver_message(order_message(order, erp).pk)

    assert state == OutboundState.DELIVERED
    [sale_order] = sale_orders("10006")
    assert Decimal(str(sale_order["amount_total"])) == Decimal("0.14")
    order.refresh_from_db()
    assert order.total_gross == Decimal("0.15")
    assert order.needs_attention is True
    assert "total of 0.14 EUR" in order.attention_note
    assert "shop's total is 0.15 EUR" in order.attention_note
    # Support reads the note in their own language.
    assert "0.14 EUR" in order.attention_note_translations["de"]
    assert order.attention_note_translations["de"] != order.attention_note


def test_per_line_rounding_matches_shop_total(sandbox, recording_shop):
    erp = make_odoo_connection()
    channel, shop = make_pair(erp)
    for sku in ("A-1", "B-2", "C-3"):
        make_product(sku)
    order = place_order(channel, shop, "10007", [line(sku, gross="0.05", net="0.04", tax="0.01") for sku in ("A-1", "B-2", "C-3")])

    deliver_message(order_message(order, erp).pk)

    [sale_order] = sale_orders("10007")
    assert Decimal(str(sale_order["amount_total"])) == Decimal("0.15")
    order.refresh_from_db()
    assert order.needs_attention is False
