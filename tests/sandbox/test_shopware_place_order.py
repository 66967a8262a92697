"""Placing an order in the simulated shop stores it whole and sends what Shopware would read back."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import responses

from integrations.sandbox import store
from integrations.sandbox.shopware import state
from integrations.sandbox.shopware.orders import (
    ORDER_ASSOCIATIONS,
    PlacedLine,
    assemble,
    place_order,
)

pytestmark = pytest.mark.django_db


def shop_product(sku, stock):
    record = {"id": state.seed_id("test", sku), "productNumber": sku, "name": sku, "stock": stock, "sales": 0, "updatedAt": None}
    store.put("shopware", "product", record["id"], record, natural_key=sku)
    return record


def test_placed_order_matches_stored_order(django_capture_on_commit_callbacks):
    # Given two products and a webhook subscribed to new orders
    camera = shop_product("CAM-1", 10)
    lens = shop_product("LENS-1", 4)
    state.update_settings({"webhooks": [{"name": "placed", "eventName": "checkout.order.placed", "url": "http://hooks.test/placed"}]})
    product_changed_at = store.get_row("shopware", "product", camera["id"]).changed_at

    # When an order with both is placed
    with responses.RequestsMock() as sent:
        sent.add(responses.POST, "http://hooks.test/placed", json={})
        with django_capture_on_commit_callbacks(execute=True):
            placed = place_order(
                [PlacedLine(product=camera, quantity=3, unit_gross=Decimal("11.90")), PlacedLine(product=lens, quantity=1, unit_gross=Decimal("5.00"))],
                customer_number="17850", country_iso="DE", placed_at=datetime(2026, 12, 5, 1, 0, tzinfo=UTC),
            )
        body = json.loads(sent.calls[0].request.body)

    # Then the returned and the sent order are the stored order with its associations
    stored = assemble([store.get("shopware", "order", placed["id"])], {name: {} for name in ORDER_ASSOCIATIONS})[0]
    assert placed == stored
    assert body["data"]["payload"]["order"] == json.loads(json.dumps(stored))
    assert [item["payload"]["productNumber"] for item in stored["lineItems"]] == ["CAM-1", "LENS-1"]
    assert stored["amountTotal"] == 45.6
    assert stored["billingAddress"]["country"]["iso"] == "DE"

    # And stock is taken out without touching the products' change time
    assert [store.get("shopware", "product", product["id"])["stock"] for product in (camera, lens)] == [7, 3]
    assert [store.get("shopware", "product", product["id"])["sales"] for product in (camera, lens)] == [3, 1]
    assert store.get_row("shopware", "product", camera["id"]).changed_at == product_changed_at
