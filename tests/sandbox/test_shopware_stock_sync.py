"""Stock figures sent with the simulated shop's Sync API, as Kontor's stock push sends them."""

import pytest

from integrations.sandbox import store
from integrations.sandbox.shopware.state import seed_id
from tests.sandbox.test_shopware_api import product

pytestmark = pytest.mark.django_db


def sync(api, payload, **headers):
    return api("post", "/api/_action/sync", {"kontor-stock": {"entity": "product", "action": "upsert", "payload": payload}}, **headers)


def test_stock_figures_update_existing_products(api):
    # Given two products in the shop
    first, second = product("A-1"), product("A-2")
    api("post", "/api/_action/sync", [{"entity": "product", "action": "upsert", "payload": [first, second]}])
    before = store.get_row("shopware", "product", first["id"]).changed_at

    # When new stock figures for both are sent
    response = sync(api, [{"id": second["id"], "stock": 7}, {"id": first["id"], "stock": 0}])

    # Then each product has its figure, renewed change times and one result in payload order
    body = response.json()
    assert response.status_code == 200
    assert body["success"] is True
    assert body["data"]["kontor-stock"]["result"] == [
        {"entities": {"product": [second["id"]]}, "errors": []},
        {"entities": {"product": [first["id"]]}, "errors": []},
    ]
    rows = {row.record_id: row for row in store.rows("shopware", "product")}
    assert [(rows[item["id"]].data["stock"], rows[item["id"]].data["availableStock"]) for item in (first, second)] == [(0, 0), (7, 7)]
    assert rows[first["id"]].data["updatedAt"] is not None
    assert rows[first["id"]].changed_at > before
    assert rows[first["id"]].data["productNumber"] == "A-1"


def test_stock_figure_of_unknown_product_fails_alone(api):
    # Given one product in the shop
    known = product("A-1")
    api("post", "/api/_action/sync", [{"entity": "product", "action": "upsert", "payload": [known]}])
    unknown_id = seed_id("test", "missing")

    # When stock for it and for a product the shop does not have is sent, errors not failing the request
    response = sync(api, [{"id": known["id"], "stock": 3}, {"id": unknown_id, "stock": 1}], **{"fail-on-error": "false"})

    # Then the known product has its figure and the unknown one is rejected, not created
    results = response.json()["data"]["kontor-stock"]["result"]
    assert results[0]["entities"] == {"product": [known["id"]]}
    assert results[1]["entities"] == []
    assert results[1]["errors"]
    assert store.get("shopware", "product", known["id"])["stock"] == 3
    assert store.get("shopware", "product", unknown_id) is None
