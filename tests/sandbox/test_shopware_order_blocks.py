"""The sandbox shop places replayed invoices in blocks, each order with its own webhook."""

import json

import pytest
import responses

from integrations.sandbox import faults, orderstream, store, webhooks
from integrations.sandbox.models import DeliveryState, SandboxWebhookDelivery
from integrations.sandbox.shopware import state
from integrations.sandbox.shopware import stream as shopware_stream
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

HOOK = "http://127.0.0.1:9/hook"


def shop_products(stock):
    for sku in ("DEMO-1", "DEMO-2"):
        ProductFactory(sku=sku)
        record = {"id": state.seed_id("test", sku), "productNumber": sku, "name": sku, "stock": stock,
                  "price": [{"currencyId": state.currency_id("EUR"), "gross": 5.0, "net": 4.2, "linked": True}]}
        store.put("shopware", "product", record["id"], record, natural_key=sku)


def test_block_sends_one_signed_webhook_per_order(django_capture_on_commit_callbacks):
    shop_products(100000)
    state.update_settings({"webhooks": [{"name": "placed", "eventName": "checkout.order.placed", "url": HOOK}]})

    with responses.RequestsMock() as sent:
        sent.add(responses.POST, HOOK, status=200)
        with django_capture_on_commit_callbacks(execute=True):
            outcomes = shopware_stream.place_orders(8)
        bodies = [json.loads(call.request.body) for call in sent.calls]

    orders = {row.data["orderNumber"]: row.data for row in store.rows("shopware", "order")}
    assert outcomes["placed"] == len(orders) == len(bodies) > 1
    assert sorted(body["data"]["payload"]["order"]["orderNumber"] for body in bodies) == sorted(orders)
    assert len({body["source"]["eventId"] for body in bodies}) == len(bodies)
    assert SandboxWebhookDelivery.objects.filter(state=DeliveryState.SENT).count() == len(bodies)
    assert orderstream.stream_status("shopware")["index"] == 8
    assert orderstream.stream_status("shopware")["placed"] == outcomes["placed"]


def test_block_does_not_sell_more_than_the_stock(django_capture_on_commit_callbacks):
    shop_products(30)

    with django_capture_on_commit_callbacks(execute=True):
        outcomes = shopware_stream.place_orders(20)

    sold = {}
    for row in store.rows("shopware", "order_line_item"):
        sold[row.data["productId"]] = sold.get(row.data["productId"], 0) + row.data["quantity"]
    for product in store.rows("shopware", "product"):
        assert product.data["stock"] == 30 - sold.get(product.record_id, 0) >= 0
    assert outcomes["skipped"] > 0
    assert outcomes["placed"] + outcomes["cancelled"] + outcomes["skipped"] == 20


def test_cancellation_sees_earlier_block_orders(monkeypatch):
    placed, events = [], []
    invoices = [
        orderstream.Invoice("1", None, "C1", "GB", [orderstream.InvoiceLine("10001", "", 1, 1)]),
        orderstream.Invoice("2", None, "C1", "GB", [orderstream.InvoiceLine("10002", "", 1, 1)]),
        orderstream.Invoice("C3", None, "C1", "GB", [orderstream.InvoiceLine("10001", "", -1, 1)]),
        orderstream.Invoice("4", None, "C2", "GB", [orderstream.InvoiceLine("10003", "", 1, 1)]),
    ]
    monkeypatch.setattr(orderstream, "claim_invoices", lambda system, count: invoices[:count])

    def place_many(placements):
        events.append(("place", [invoice.number for invoice, _lines in placements]))
        placed.extend(invoice.customer_id for invoice, _lines in placements)
        return [True] * len(placements)

    def cancel(invoice, lines):
        events.append(("cancel", invoice.number))
        return invoice.customer_id in placed

    outcomes = orderstream.place_batch("shopware", 4, place=None, cancel=cancel, skus=["A"], place_many=place_many)

    assert events == [("place", ["1", "2"]), ("cancel", "C3"), ("place", ["4"])]
    assert outcomes == {"placed": 3, "cancelled": 1, "skipped": 0}


def test_block_keeps_reorder_fault():
    faults.update_faults("shopware", {"reorder_webhooks": True})
    received = []
    with responses.RequestsMock() as rsps:
        rsps.add_callback(responses.POST, HOOK, callback=lambda request: (received.append(request.body) or (200, {}, "")))
        webhooks.send_webhooks("shopware", [("test", HOOK, f"{number}".encode(), {}) for number in (1, 2, 3, 4, 5)])

    assert received == [b"2", b"1", b"4", b"3"]
    held = SandboxWebhookDelivery.objects.get(state=DeliveryState.HELD)
    assert held.body == "5"
    assert SandboxWebhookDelivery.objects.filter(state=DeliveryState.SENT).count() == 4


def test_block_of_webhooks_keeps_lost_and_duplicated_webhooks():
    faults.update_faults("shopware", {"drop_webhooks_percent": 100})
    with responses.RequestsMock() as rsps:
        dropped = webhooks.send_webhooks("shopware", [("test", HOOK, b"{}", {}) for _ in range(3)])
        assert len(rsps.calls) == 0
    faults.update_faults("shopware", {"drop_webhooks_percent": 0, "duplicate_webhooks_percent": 100})
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, HOOK, status=200)
        sent = webhooks.send_webhooks("shopware", [("test", HOOK, b"{}", {}) for _ in range(3)])
        posts = len(rsps.calls)

    assert [delivery.state for delivery in dropped] == [DeliveryState.DROPPED] * 3
    assert posts == 6
    assert [delivery.state for delivery in sent] == [DeliveryState.SENT] * 6
    assert SandboxWebhookDelivery.objects.count() == 9
