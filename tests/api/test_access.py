from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model

from apiclients.models import ApiClient, Scope
from apiclients.tokens import hash_token
from customers.models import Address, Consent
from tests.api.conftest import make_client
from tests.factories import AddressFactory, CategoryFactory, ConsentFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def test_missing_token_is_401(client, channel):
    response = client.get("/api/v1/products/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["code"] == "not_authenticated"


def test_wrong_token_is_401(client, channel):
    response = client.get("/api/v1/products/", HTTP_AUTHORIZATION="Bearer kt_not-a-real-token")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_token_stored_only_as_hash(channel):
    from apiclients.services import create_client

    client, token = create_client(name="Shop", channel=channel, scopes=[Scope.CATALOG_READ], actor="test")

    stored = ApiClient.objects.get(pk=client.pk)
    assert stored.token_hash == hash_token(token)
    assert token not in (stored.token_hash, stored.token_prefix)
    assert token.startswith(stored.token_prefix)


def test_deactivated_client_is_401(channel):
    client, http = make_client(channel)
    client.is_active = False
    client.save()

    assert http.get("/api/v1/products/").status_code == 401


def test_catalog_needs_catalog_scope(channel):
    _client, http = make_client(channel, scopes=[Scope.ORDERS_READ])

    response = http.get("/api/v1/products/")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "catalog:read" in response.json()["message"]


def test_throttle_per_token_is_429(channel):
    _client, http = make_client(channel, throttle_rate="2/min")
    _other, other_http = make_client(channel, throttle_rate="2/min")

    statuses = [http.get("/api/v1/categories/").status_code for _attempt in range(3)]

    assert statuses == [200, 200, 429]
    assert int(http.get("/api/v1/categories/")["Retry-After"]) >= 1
    assert other_http.get("/api/v1/categories/").status_code == 200


def test_profile_needs_customer_scope(channel):
    CustomerFactory(email="anna@example.com")
    _client, http = make_client(channel, scopes=[Scope.CATALOG_READ], customer_email="anna@example.com")

    response = http.get("/api/v1/customers/me/")

    assert response.status_code == 403
    assert "customers:read" in response.json()["message"]


def test_profile_read_and_change(channel):
    customer = CustomerFactory(email="anna@example.com", first_name="Anna")
    _client, http = make_client(channel, customer_email="Anna@Example.com")

    read = http.get("/api/v1/customers/me/")
    changed = http.patch("/api/v1/customers/me/", {"first_name": "Annette", "email": "evil@example.com"}, format="json")

    assert read.json()["first_name"] == "Anna"
    assert changed.status_code == 200
    customer.refresh_from_db()
    assert customer.first_name == "Annette"
    assert customer.email == "anna@example.com"


def test_profile_write_needs_write_scope(channel):
    customer = CustomerFactory(email="anna@example.com", first_name="Anna")
    _client, http = make_client(channel, scopes=[Scope.CUSTOMERS_READ], customer_email="anna@example.com")

    response = http.patch("/api/v1/customers/me/", {"first_name": "X"}, format="json")

    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.first_name == "Anna"


def test_addresses_list_and_new_default(channel):
    customer = CustomerFactory(email="anna@example.com")
    old = AddressFactory(customer=customer, kind="shipping", is_default=True)
    AddressFactory(customer=CustomerFactory())
    _client, http = make_client(channel, customer_email="anna@example.com")

    created = http.post("/api/v1/customers/me/addresses/", {"kind": "shipping", "is_default": True, "street": "Ring 2", "city": "Köln", "country": "DE"}, format="json")
    listed = http.get("/api/v1/customers/me/addresses/").json()

    assert created.status_code == 201
    assert [address["street"] for address in listed] == ["Ring 2", "Hauptstraße 1"]
    old.refresh_from_db()
    assert old.is_default is False


def test_address_without_country_is_400(channel):
    CustomerFactory(email="anna@example.com")
    _client, http = make_client(channel, customer_email="anna@example.com")

    response = http.post("/api/v1/customers/me/addresses/", {"kind": "billing", "street": "Ring 2", "city": "Köln", "country": {"code": ""}}, format="json")

    assert response.status_code == 400
    assert response.json()["field"] == "country"
    assert Address.objects.count() == 0


def test_consents_latest_per_purpose(channel):
    customer = CustomerFactory(email="anna@example.com")
    ConsentFactory(customer=customer, purpose="analytics", granted=True, recorded_at=datetime(2026, 1, 1, tzinfo=UTC))
    _client, http = make_client(channel, customer_email="anna@example.com")

    created = http.post("/api/v1/customers/me/consents/", {"purpose": "analytics", "granted": False}, format="json")
    listed = http.get("/api/v1/customers/me/consents/").json()

    assert created.status_code == 201
    assert [(consent["purpose"], consent["granted"]) for consent in listed] == [("analytics", False)]
    assert Consent.objects.filter(customer=customer).count() == 2


def test_client_without_customer_gets_404(api):
    response = api.get("/api/v1/customers/me/")

    assert response.status_code == 404
    assert "customer email" in response.json()["message"]


def test_category_tree_nested_and_localized(api):
    root = CategoryFactory(code="cameras", labels={"de_DE": "Kameras", "en_GB": "Cameras"})
    CategoryFactory(code="compact", parent=root, labels={"de_DE": "Kompakt"})

    response = api.get("/api/v1/categories/?locale=en_GB")

    tree = response.json()["results"]
    assert [node["code"] for node in tree] == ["cameras"]
    assert tree[0]["label"] == "Cameras"
    assert [(child["code"], child["label"]) for child in tree[0]["children"]] == [("compact", "Kompakt")]
    assert api.get("/api/v1/categories/?locale=en_GB", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_category_detail_with_ancestors(api):
    root = CategoryFactory(code="cameras", labels={"de_DE": "Kameras"})
    child = CategoryFactory(code="compact", parent=root, labels={"de_DE": "Kompakt"})

    data = api.get(f"/api/v1/categories/{child.pk}/").json()

    assert data["code"] == "compact"
    assert data["ancestors"] == [{"id": root.pk, "code": "cameras", "label": "Kameras"}]


def test_unknown_api_path_is_json_404(api):
    response = api.get("/api/v1/nothing/here/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert response.json()["value"] == "/api/v1/nothing/here/"


def test_schema_and_docs_served(client):
    schema = client.get("/api/v1/schema/?format=json")
    docs = client.get("/api/v1/docs/")

    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/products/" in paths
    assert "/api/v1/orders/" in paths
    assert "Error" in schema.json()["components"]["schemas"]
    assert docs.status_code == 200
    assert b"drf_spectacular_sidecar/swagger-ui-dist" in docs.content


def test_docs_load_nothing_from_other_hosts(client):
    import re

    for path in ("/api/v1/docs/", "/api/v1/redoc/"):
        page = client.get(path).content.decode()

        assert re.findall(r'(?:href|src)="(https?://[^"]+)"', page) == [], path
        assert "drf_spectacular_sidecar" in page, path


def test_admin_shows_token_once(channel, client):
    admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(admin)

    response = client.post(
        "/admin/apiclients/apiclient/add/",
        {"name": "Shop", "channel": channel.pk, "scopes": [Scope.CATALOG_READ], "throttle_rate": "60/min", "is_active": "on"},
        follow=True,
    )

    stored = ApiClient.objects.get(name="Shop")
    messages = [str(message) for message in response.context["messages"]]
    token = next(word.rstrip(".") for message in messages for word in message.split() if word.startswith("kt_"))
    assert stored.token_hash == hash_token(token)
    assert stored.scopes == [Scope.CATALOG_READ]
    assert token not in client.get(f"/admin/apiclients/apiclient/{stored.pk}/change/").content.decode()


@pytest.mark.parametrize(("now", "expected"), [(1_800_000_000.0, "60"), (1_800_000_000.5, "60"), (1_800_000_059.2, "1")])
def test_retry_after_within_window(channel, monkeypatch, now, expected):
    # 1,800,000,000 is a multiple of 60, so it is the first second of a one-minute window.
    monkeypatch.setattr("apiclients.throttling.time.time", lambda: now)
    _client, http = make_client(channel, throttle_rate="1/min")
    http.get("/api/v1/categories/")

    response = http.get("/api/v1/categories/")

    assert response.status_code == 429
    assert response["Retry-After"] == expected
