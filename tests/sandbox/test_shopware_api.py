import pytest

from integrations.sandbox import store
from integrations.sandbox.shopware.state import DEFAULT_ACCESS_KEY, currency_id, tax_id

pytestmark = pytest.mark.django_db

BASE = "/sandbox/shopware"


def product(number, stock=5, gross=11.9, **extra):
    from integrations.sandbox.shopware.state import seed_id

    return {
        "id": seed_id("test-product", number),
        "productNumber": number,
        "name": f"Product {number}",
        "stock": stock,
        "taxId": tax_id("19"),
        "price": [{"currencyId": currency_id("EUR"), "gross": gross, "net": round(gross / 1.19, 2), "linked": True}],
        **extra,
    }


def test_token_with_wrong_secret_is_rejected(client):
    response = client.post(
        f"{BASE}/api/oauth/token",
        {"grant_type": "client_credentials", "client_id": DEFAULT_ACCESS_KEY, "client_secret": "wrong"},
        content_type="application/json",
    )

    assert response.status_code == 401
    assert response.json()["errors"][0]["status"] == "401"


def test_token_grants_access_for_its_lifetime(client, token):
    response = client.post(f"{BASE}/api/oauth/token", {"grant_type": "password"}, content_type="application/json")
    assert response.status_code == 400

    without = client.post(f"{BASE}/api/search/product", {}, content_type="application/json")
    with_token = client.post(
        f"{BASE}/api/search/product", {}, content_type="application/json", headers={"Authorization": f"Bearer {token}"}
    )

    assert without.status_code == 401
    assert with_token.status_code == 200
    assert with_token.json() == {"total": 0, "data": [], "aggregations": []}


def test_sync_partial_failure_writes_valid_records(api):
    payload = [product("A-1"), product("A-2", stock="many"), product("A-3")]

    response = api("post", "/api/_action/sync", [{"entity": "product", "action": "upsert", "payload": payload}], **{"fail-on-error": "false"})

    body = response.json()
    assert response.status_code == 200
    assert body["success"] is False
    results = body["data"]["0"]["result"]
    assert results[0]["entities"] == {"product": [payload[0]["id"]]}
    assert results[1]["entities"] == []
    assert results[1]["errors"][0]["source"]["pointer"] == "/0/1/stock"
    assert results[2]["entities"] == {"product": [payload[2]["id"]]}
    assert sorted(row.natural_key for row in store.rows("shopware", "product")) == ["A-1", "A-3"]


def test_sync_with_fail_on_error_rolls_back_everything(api):
    payload = [product("B-1"), product("B-2", price=[])]

    response = api("post", "/api/_action/sync", {"write-product": {"entity": "product", "action": "upsert", "payload": payload}})

    assert response.status_code == 400
    assert [error["source"]["pointer"] for error in response.json()["errors"]] == ["/write-product/1/price"]
    assert store.rows("shopware", "product").count() == 0


def test_sync_rejects_duplicate_product_number(api):
    api("post", "/api/_action/sync", [{"entity": "product", "action": "upsert", "payload": [product("C-1")]}])
    duplicate = {**product("C-1"), "id": "f" * 32}

    response = api("post", "/api/_action/sync", [{"entity": "product", "action": "upsert", "payload": [duplicate]}])

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "CONTENT__DUPLICATE_PRODUCT_NUMBER"


def test_search_filters_sorts_and_pages(api):
    items = [product(f"S-{index}", stock=index) for index in range(1, 6)]
    api("post", "/api/_action/sync", [{"entity": "product", "action": "upsert", "payload": items}])

    response = api("post", "/api/search/product", {
        "filter": [{"type": "range", "field": "stock", "parameters": {"gte": 2}}],
        "sort": [{"field": "stock", "order": "DESC"}],
        "page": 2,
        "limit": 2,
        "total-count-mode": 1,
        "includes": {"product": ["productNumber", "stock"]},
    })

    body = response.json()
    assert body["total"] == 4
    assert body["data"] == [
        {"productNumber": "S-3", "stock": 3, "apiAlias": "product"},
        {"productNumber": "S-2", "stock": 2, "apiAlias": "product"},
    ]


def test_search_multi_or_and_equals_any(api):
    items = [product("M-1"), product("M-2"), product("M-3")]
    api("post", "/api/_action/sync", [{"entity": "product", "action": "upsert", "payload": items}])

    response = api("post", "/api/search/product", {
        "filter": [{"type": "multi", "operator": "OR", "queries": [
            {"type": "equals", "field": "productNumber", "value": "M-1"},
            {"type": "equalsAny", "field": "productNumber", "value": ["M-3"]},
        ]}],
        "sort": [{"field": "productNumber"}],
    })

    assert [item["productNumber"] for item in response.json()["data"]] == ["M-1", "M-3"]


def test_unknown_entity_is_not_found(api):
    response = api("post", "/api/search/no-such-entity", {})

    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "FRAMEWORK__DEFINITION_NOT_FOUND"


def test_patch_sets_updated_at(api):
    item = product("P-1")
    api("post", "/api/_action/sync", [{"entity": "product", "action": "upsert", "payload": [item]}])
    created = store.get("shopware", "product", item["id"])

    response = api("patch", f"/api/product/{item['id']}", {"stock": 9})

    updated = store.get("shopware", "product", item["id"])
    assert response.status_code == 204
    assert created["updatedAt"] is None
    assert updated["stock"] == 9
    assert updated["availableStock"] == 9
    assert updated["updatedAt"] is not None
