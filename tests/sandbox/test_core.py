import hashlib
import hmac
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import responses

from integrations.sandbox import faults, orderstream, store, webhooks
from integrations.sandbox.models import DeliveryState, SandboxWebhookDelivery
from integrations.sandbox.shopware import state
from integrations.sandbox.shopware import stream as shopware_stream
from integrations.sandbox.shopware.events import SIGNATURE_HEADER
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

BASE = "/sandbox/shopware"


def test_faults_endpoint_sets_and_resets(client):
    response = client.put("/sandbox/shopware/_faults", {"rate_limit_percent": 100, "retry_after_seconds": 7}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["rate_limit_percent"] == 100

    token = client.post(f"{BASE}/api/oauth/token", {"grant_type": "client_credentials"}, content_type="application/json")
    assert token.status_code == 429
    assert token["Retry-After"] == "7"

    reset = client.delete("/sandbox/shopware/_faults")
    assert reset.json()["rate_limit_percent"] == 0


def test_faults_endpoint_rejects_unknown_field(client):
    response = client.put("/sandbox/shopware/_faults", {"explode": True}, content_type="application/json")

    assert response.status_code == 400
    assert "explode" in response.json()["error"]


def test_faults_endpoint_rejects_invalid_percent(client):
    response = client.put("/sandbox/shopware/_faults", {"server_error_percent": 250}, content_type="application/json")

    assert response.status_code == 400
    assert "server_error_percent" in response.json()["fields"]


def test_fail_next_requests_counts_down(client):
    faults.update_faults("shopware", {"fail_next_requests": 2, "fail_next_status": 500})

    statuses = [client.post(f"{BASE}/api/oauth/token", {}, content_type="application/json").status_code for _ in range(3)]

    assert statuses == [500, 500, 400]


def test_webhook_sender_swaps_pairs_when_reordering():
    faults.update_faults("shopware", {"reorder_webhooks": True})
    received = []
    with responses.RequestsMock() as rsps:
        rsps.add_callback(responses.POST, "http://127.0.0.1:9/hook", callback=lambda request: (received.append(request.body) or (200, {}, "")))
        for number in (1, 2, 3, 4):
            webhooks.send_webhook("shopware", "test", "http://127.0.0.1:9/hook", f"{number}".encode(), {})

    assert received == [b"2", b"1", b"4", b"3"]
    assert SandboxWebhookDelivery.objects.filter(state=DeliveryState.HELD).count() == 0


def test_webhook_sender_sends_duplicates():
    faults.update_faults("shopware", {"duplicate_webhooks_percent": 100})
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, "http://127.0.0.1:9/hook", status=200)
        deliveries = webhooks.send_webhook("shopware", "test", "http://127.0.0.1:9/hook", b"{}", {"X": "1"})
        calls = len(rsps.calls)

    assert calls == 2
    assert [delivery.state for delivery in deliveries] == [DeliveryState.SENT, DeliveryState.SENT]


def test_shopware_webhook_signature_is_hmac_of_body(django_capture_on_commit_callbacks):
    state.update_settings({"webhooks": [{"name": "placed", "eventName": "checkout.order.placed", "url": "http://127.0.0.1:9/hook"}]})
    product = {"id": "c" * 32, "productNumber": "X-1", "name": "X", "stock": 3}
    store.put("shopware", "product", product["id"], product, natural_key="X-1")
    from integrations.sandbox.shopware.orders import PlacedLine, place_order

    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, "http://127.0.0.1:9/hook", status=200)
        with django_capture_on_commit_callbacks(execute=True):
            place_order([PlacedLine(product, 2, Decimal("10.00"))], customer_number="1", country_iso="DE", placed_at=datetime(2026, 11, 27, tzinfo=UTC))
        request = rsps.calls[0].request

    expected = hmac.new(state.DEFAULT_SHOP_SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers[SIGNATURE_HEADER] == expected
    assert store.get("shopware", "product", "c" * 32)["stock"] == 1


def test_invoices_keep_lines_countries_and_cancellations():
    invoices = orderstream.read_invoices()

    assert len(invoices) == 2093
    assert sum(1 for invoice in invoices if invoice.is_cancellation) == 44
    first = invoices[0]
    assert first.number == "536365"
    assert first.country == "GB"
    assert first.customer_id == "17850"
    assert (first.lines[0].stock_code, first.lines[0].quantity, first.lines[0].unit_price) == ("85123A", 6, Decimal("2.55"))


def test_stock_codes_map_to_same_sku():
    skus = ["A", "B", "C", "D"]
    invoice = orderstream.read_invoices()[0]

    first = orderstream.mapped_lines(invoice, skus)
    second = orderstream.mapped_lines(invoice, skus)

    assert first == second
    assert set(first) <= set(skus)
    assert sum(quantity for quantity, _price in first.values()) == sum(line.quantity for line in invoice.lines)


def test_cancellation_quantities_become_positive():
    cancellation = next(invoice for invoice in orderstream.read_invoices() if invoice.is_cancellation and any(
        orderstream.PRODUCT_CODE.match(line.stock_code) for line in invoice.lines))

    lines = orderstream.mapped_lines(cancellation, ["ONLY"])

    assert lines["ONLY"][0] == sum(-line.quantity for line in cancellation.lines if orderstream.PRODUCT_CODE.match(line.stock_code))


def test_stream_places_orders_and_advances(django_capture_on_commit_callbacks):
    for sku in ("DEMO-1", "DEMO-2"):
        ProductFactory(sku=sku)
        record = {"id": state.seed_id("test", sku), "productNumber": sku, "name": sku, "stock": 100000,
                  "price": [{"currencyId": state.currency_id("EUR"), "gross": 5.0, "net": 4.2, "linked": True}]}
        store.put("shopware", "product", record["id"], record, natural_key=sku)

    with django_capture_on_commit_callbacks(execute=True):
        outcomes = shopware_stream.place_orders(5)

    assert outcomes == {"placed": 5, "cancelled": 0, "skipped": 0}
    assert store.rows("shopware", "order").count() == 5
    assert orderstream.stream_status("shopware")["index"] == 5
    order = store.rows("shopware", "order").order_by("created_at").first().data
    assert order["orderCustomer"]["customerNumber"] == "17850"
    assert order["billingAddress"]["country"]["iso"] == "GB"


def test_stream_without_catalog_skips():
    outcomes = shopware_stream.place_orders(3)

    assert outcomes == {"placed": 0, "cancelled": 0, "skipped": 3}
