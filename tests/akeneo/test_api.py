"""The REST API path: OAuth2, pagination, delta pulls and the import through the same mapper.

The API is faked at the HTTP layer with real Akeneo responses (integrations/akeneo/tests/fixtures).
"""

import base64
import hashlib
import json
import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.conf import settings

from catalog.models import AttributeValue, MediaAsset, Product, ProductMedia, ProductModel
from integrations.akeneo.client import AkeneoClient
from integrations.akeneo.services import create_akeneo_connection, import_from_api
from integrations.errors import CircuitOpen
from integrations.models import DeltaCursor, LeadingSystemRule, SyncError, SyncRun, SyncRunState
from integrations.registry import get_connector
from integrations.services.clients import circuit_breaker_for

FIXTURES = Path(settings.BASE_DIR) / "integrations" / "akeneo" / "tests" / "fixtures"
BASE = "http://akeneo.example.com"
API = f"{BASE}/api/rest/v1"
OPTION_FIXTURES = {"color", "size", "clothing_size", "collection", "maximum_print_size"}
IMAGE = b"\x89PNG\r\n\x1a\n demo image bytes"


def fixture(name):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def empty_page(path):
    return {"_links": {"self": {"href": f"{API}{path}"}, "first": {"href": f"{API}{path}"}}, "current_page": 1, "_embedded": {"items": []}}


def token_body(access, refresh):
    return {"access_token": access, "expires_in": 3600, "token_type": "bearer", "scope": None, "refresh_token": refresh}


@pytest.fixture
def connection(db):
    connection = create_akeneo_connection(
        name="Akeneo PIM",
        slug="akeneo-pim",
        base_url=BASE,
        credentials={"client_id": "client", "secret": "s3cret", "username": "kontor", "password": "pw"},
    )
    # An import makes about 60 requests; at the default 5 per second the tests would wait for the limiter.
    connection.rate_limit_per_second = Decimal("1000")
    connection.rate_limit_burst = 1000
    connection.save(update_fields=["rate_limit_per_second", "rate_limit_burst", "updated_at"])
    return connection


@pytest.fixture
def circuit(connection):
    breaker = circuit_breaker_for(connection)
    yield breaker
    # The breaker's state lives in Redis, which outlives the test database.
    breaker.reset()


def mock_catalog(api):
    api.post(f"{BASE}/api/oauth/v1/token", json=token_body("token-1", "refresh-1"))
    api.get(f"{API}/channels", json=fixture("channels.json"))
    api.get(f"{API}/categories", json=fixture("categories_all.json"))
    api.get(f"{API}/attributes", json=fixture("attributes_all.json"))
    for attribute in fixture("attributes_all.json")["_embedded"]["items"]:
        if attribute["type"] in ("pim_catalog_simpleselect", "pim_catalog_multiselect"):
            path = f"/attributes/{attribute['code']}/options"
            body = fixture(f"attribute_options_{attribute['code']}.json") if attribute["code"] in OPTION_FIXTURES else empty_page(path)
            api.get(f"{API}{path}", json=body)
    api.get(f"{API}/families", json=fixture("families.json"))
    api.get(f"{API}/families/clothing/variants", json=fixture("family_clothing_variants.json"))
    api.get(f"{API}/product-models", json=fixture("product_models.json"))
    api.get(f"{API}/products", json=fixture("products_all.json"))
    api.add_callback(responses.GET, re.compile(rf"{API}/media-files/.+/download"), callback=media_file)


def media_file(request):
    # Content that differs per file, so each file has its own checksum.
    code = urlsplit(request.url).path.split("/media-files/")[1].removesuffix("/download")
    return 200, {"Content-Type": "image/jpeg"}, IMAGE + code.encode()


def test_connector_is_registered():
    connector = get_connector("akeneo")
    assert connector.display_name == "Akeneo PIM"
    assert [field.name for field in connector.credential_fields] == ["client_id", "secret", "username", "password"]


def test_new_connection_leads_product_master_data(connection):
    rules = sorted((rule.domain, rule.field_group) for rule in LeadingSystemRule.objects.filter(connection=connection))
    assert rules == [("categories", ""), ("products", "attributes"), ("products", "categories"), ("products", "media"), ("products", "texts")]


def test_connection_client_shares_rate_limit_and_circuit(connection):
    client = AkeneoClient.for_connection(connection)

    assert client.http.rate_limiter.key == f"connection:{connection.pk}"
    assert client.http.rate_limiter.rate_per_second == 1000.0
    assert client.http.rate_limiter.burst == 1000
    assert client.http.circuit_breaker.key == f"connection:{connection.pk}"
    assert client.http.rate_limit_wait == 30.0
    assert AkeneoClient.for_connection(connection).http is client.http


@responses.activate
def test_open_circuit_stops_api_import(connection, circuit):
    for _attempt in range(circuit.failure_threshold):
        circuit.record_failure()

    with pytest.raises(CircuitOpen):
        import_from_api(connection)

    assert len(responses.calls) == 0
    run = SyncRun.objects.get(connection=connection)
    assert run.state == SyncRunState.FAILED
    assert not Product.objects.exists()


@responses.activate
def test_password_grant_sends_basic_auth_and_json_body():
    responses.post(f"{BASE}/api/oauth/v1/token", json=token_body("token-1", "refresh-1"))
    responses.get(f"{API}/families", json=fixture("families.json"))
    client = AkeneoClient("akeneo-pim", BASE, "client", "s3cret", "kontor", "pw")

    items = list(client.iter_items("/families"))

    assert [item["code"] for item in items] == ["clothing"]
    token_call, list_call = responses.calls
    assert token_call.request.headers["Authorization"] == "Basic " + base64.b64encode(b"client:s3cret").decode()
    assert json.loads(token_call.request.body) == {"grant_type": "password", "username": "kontor", "password": "pw"}
    assert list_call.request.headers["Authorization"] == "Bearer token-1"
    assert parse_qs(urlsplit(list_call.request.url).query) == {"limit": ["100"]}


@responses.activate
def test_expired_token_is_refreshed_with_refresh_token():
    now = [0.0]
    responses.post(f"{BASE}/api/oauth/v1/token", json=token_body("token-1", "refresh-1"))
    responses.post(f"{BASE}/api/oauth/v1/token", json=token_body("token-2", "refresh-2"))
    responses.get(f"{API}/families", json=fixture("families.json"))
    client = AkeneoClient("akeneo-pim", BASE, "client", "s3cret", "kontor", "pw", clock=lambda: now[0])
    list(client.iter_items("/families"))

    now[0] = 3600.0
    list(client.iter_items("/families"))

    refresh_call = responses.calls[2]
    assert json.loads(refresh_call.request.body) == {"grant_type": "refresh_token", "refresh_token": "refresh-1"}
    assert responses.calls[3].request.headers["Authorization"] == "Bearer token-2"


@responses.activate
def test_rejected_token_is_renewed_once():
    responses.post(f"{BASE}/api/oauth/v1/token", json=token_body("token-1", "refresh-1"))
    responses.post(f"{BASE}/api/oauth/v1/token", json=token_body("token-2", "refresh-2"))
    responses.get(f"{API}/families", status=401, json={"code": 401, "message": "The access token provided is invalid."})
    responses.get(f"{API}/families", json=fixture("families.json"))
    client = AkeneoClient("akeneo-pim", BASE, "client", "s3cret", "kontor", "pw")

    items = list(client.iter_items("/families"))

    assert [item["code"] for item in items] == ["clothing"]
    assert responses.calls[3].request.headers["Authorization"] == "Bearer token-2"


@responses.activate
def test_pagination_follows_next_link():
    demo = "https://demo.akeneo.com"
    responses.post(f"{demo}/api/oauth/v1/token", json=token_body("token-1", "refresh-1"))
    responses.get(f"{demo}/api/rest/v1/products", json=fixture("products.json"), match=[responses.matchers.query_param_matcher({"limit": "100", "pagination_type": "search_after"})])
    responses.get(f"{demo}/api/rest/v1/products", json=fixture("products_all.json"), match=[responses.matchers.query_param_matcher({"page": "4", "limit": "3"})])
    client = AkeneoClient("akeneo-demo", demo, "client", "s3cret", "kontor", "pw")

    items = list(client.iter_items("/products", {"pagination_type": "search_after"}))

    assert len(items) == 3 + 14
    assert [item["identifier"] for item in items[:4]] == ["top", "cap", "sweat", "1111111171"]


@responses.activate
def test_api_import_through_the_same_mapper(demo_import, connection, media_root):
    # The API fixtures list only the first 100 categories and one family, so the merchant's
    # file drop of the same catalog (demo_import) provides the rest, as it would before
    # connecting the API.
    mock_catalog(responses)

    stats = import_from_api(connection)

    assert stats.counts["products"]["failed"] == 0
    assert stats.counts["product_models"]["failed"] == 0
    assert stats.counts["products"]["created"] == 0
    assert Product.objects.count() == 1239
    bag = Product.objects.get(sku="1111111171")
    assert list(bag.prices.order_by("currency").values_list("currency", "amount")) == [("EUR", 899), ("USD", 899)]
    weight = AttributeValue.objects.get(product=bag, attribute__code="weight")
    assert (weight.number_value, weight.unit) == (500, "GRAM")
    assert ProductModel.objects.get(code="apollon_blue").parent.code == "apollon"

    code = "6/3/5/c/635cbfe306a1c13867fe7671c110ee3333fcba13_bag.jpg"
    asset = MediaAsset.objects.get(source_url=code)
    assert asset.checksum == hashlib.sha256(IMAGE + code.encode()).hexdigest()
    assert asset.size == len(IMAGE + code.encode())
    assert asset.file.read() == IMAGE + code.encode()
    assert ProductMedia.objects.get(product=bag).asset == asset
    assert AttributeValue.objects.get(product=bag, attribute__code="image").media == asset

    # One error per record and problem, naming every value that has it.
    unknown = SyncError.objects.get(connection=connection, code="akeneo_unknown_attribute", external_id="1111111171")
    assert [unknown.payload["column"], *(more["column"] for more in unknown.payload["more"])] == ["values.enabled_channels", "values.test_entite_couleur"]
    assert unknown.message.count("Attribute ") == 2
    assert unknown.payload["source"] == "GET /api/rest/v1/products"
    # The newest `updated` of the products (08:34:46+01:00), in UTC.
    cursor = DeltaCursor.objects.get(connection=connection, entity="products")
    assert cursor.updated_at.isoformat() == "2020-02-13T07:34:46+00:00"


@responses.activate
def test_delta_pull_filters_by_updated_and_skips_unchanged(demo_import, connection, media_root):
    mock_catalog(responses)
    import_from_api(connection)
    downloads = len([call for call in responses.calls if call.request.url.endswith("/download")])
    assert downloads == MediaAsset.objects.count()

    stats = import_from_api(connection)

    product_calls = [call for call in responses.calls if urlsplit(call.request.url).path == "/api/rest/v1/products"]
    query = parse_qs(urlsplit(product_calls[-1].request.url).query)
    assert json.loads(query["search"][0]) == {"updated": [{"operator": ">", "value": "2020-02-13 07:29:46"}]}
    assert query["pagination_type"] == ["search_after"]
    assert stats.counts["products"] == {"created": 0, "updated": 0, "unchanged": 14, "failed": 0}
    assert len([call for call in responses.calls if call.request.url.endswith("/download")]) == downloads
