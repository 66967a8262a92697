from decimal import Decimal

import pytest

from catalog.services.stock import available_for_channel, record_on_hand
from tests.api.conftest import needs_redis

pytestmark = pytest.mark.django_db


def by_sku(response):
    return {item["sku"]: item for item in response.json()["results"]}


def test_product_list_shows_price_stock_and_names(api, catalog):
    response = api.get("/api/v1/products/")

    assert response.status_code == 200
    items = by_sku(response)
    assert list(items) == ["CAM-BLUE", "CAM-RED", "TRIPOD"]
    assert items["CAM-RED"]["name"] == "Kamera rot"
    assert items["CAM-RED"]["price"] == {"amount": "199.00", "currency": "EUR", "is_gross": True, "price_list": "retail"}
    assert items["CAM-BLUE"]["price"]["amount"] == "189.00"
    assert items["CAM-RED"]["available"] == "4.000"
    assert items["CAM-BLUE"]["available"] == "0.000"
    assert items["TRIPOD"]["model"] is None
    assert items["CAM-RED"]["model"] == "CAM"


def test_available_matches_stock_service(api, catalog, channel):
    items = by_sku(api.get("/api/v1/products/"))

    for product in (catalog.red, catalog.blue, catalog.tripod):
        assert Decimal(items[product.sku]["available"]) == available_for_channel(product, channel)


def test_attributes_inherited_and_localized(api, catalog):
    item = by_sku(api.get("/api/v1/products/?locale=en_GB"))["CAM-BLUE"]

    assert item["attributes"]["color"] == {"label": "Colour", "type": "single_select", "value": {"code": "blue", "label": "Blue"}}
    assert item["attributes"]["brand"]["value"] == "Optika Pro"
    assert item["attributes"]["teaser"]["value"] == "Sharp"
    assert item["locale"] == "en_GB"


def test_locale_falls_back_along_chain(api, catalog):
    # de_AT has no values of its own; it falls back to de_DE.
    item = by_sku(api.get("/api/v1/products/?locale=de_AT"))["CAM-BLUE"]

    assert item["locale"] == "de_AT"
    assert item["name"] == "Kamera blau"
    assert item["attributes"]["teaser"]["value"] == "Scharf"
    assert item["attributes"]["color"]["value"]["label"] == "Blau"


def test_missing_translation_falls_back_to_channel_locale(api, catalog):
    item = by_sku(api.get("/api/v1/products/?locale=en_GB"))["CAM-BLUE"]

    assert item["name"] == "Kamera blau"


def test_accept_language_picks_locale(api, catalog):
    response = api.get("/api/v1/products/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8")

    assert by_sku(response)["TRIPOD"]["name"] == "Tripod"


def test_unknown_accept_language_uses_channel_default(api, catalog):
    response = api.get("/api/v1/products/", HTTP_ACCEPT_LANGUAGE="ja")

    assert by_sku(response)["TRIPOD"]["locale"] == "de_DE"


def test_scoped_value_of_other_channel_ignored(api, catalog):
    item = by_sku(api.get("/api/v1/products/?locale=de_DE"))["CAM-RED"]

    assert item["attributes"]["teaser"]["value"] == "Scharf"


def test_currency_selects_prices(api, catalog):
    items = by_sku(api.get("/api/v1/products/?currency=CHF"))

    assert items["TRIPOD"]["price"]["amount"] == "32.50"
    assert items["TRIPOD"]["price"]["currency"] == "CHF"
    assert items["CAM-RED"]["price"] is None


def test_media_and_categories_inherited_from_model(api, catalog):
    item = by_sku(api.get("/api/v1/products/"))["CAM-RED"]

    assert item["media"] == [
        {"url": "http://testserver/media/catalog/2026/11/cam.jpg", "role": "main", "position": 0, "mime_type": "image/jpeg", "alt": "Kamera vorne"}
    ]
    assert item["categories"] == [{"id": catalog.compact.pk, "code": "compact", "path": "cameras/compact", "label": "Kompaktkameras"}]


def test_detail_lists_variants_with_axes(api, catalog):
    response = api.get(f"/api/v1/products/{catalog.red.pk}/?locale=en_GB")

    assert response.status_code == 200
    variants = response.json()["variants"]
    assert [variant["sku"] for variant in variants] == ["CAM-BLUE", "CAM-RED"]
    assert variants[1]["axes"] == {"color": {"code": "red", "label": "Red"}}
    assert variants[0]["available"] == "0.000"
    assert variants[0]["price"]["amount"] == "189.00"


def test_detail_of_disabled_product_is_404(api, catalog):
    catalog.tripod.enabled = False
    catalog.tripod.save()

    response = api.get(f"/api/v1/products/{catalog.tripod.pk}/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_detail_etag_gives_304(api, catalog):
    first = api.get(f"/api/v1/products/{catalog.red.pk}/")

    second = api.get(f"/api/v1/products/{catalog.red.pk}/", HTTP_IF_NONE_MATCH=first["ETag"])

    assert second.status_code == 304
    assert second.content == b""
    assert second["ETag"] == first["ETag"]


def test_etag_changes_with_stock(api, catalog, channel, django_capture_on_commit_callbacks):
    first = api.get(f"/api/v1/products/{catalog.tripod.pk}/")
    # Through the stock service: its commit renews the cached answer (see test_product_cache).
    with django_capture_on_commit_callbacks(execute=True):
        record_on_hand(catalog.tripod, catalog.tripod.stock_levels.get().warehouse, Decimal(3))

    second = api.get(f"/api/v1/products/{catalog.tripod.pk}/", HTTP_IF_NONE_MATCH=first["ETag"])

    assert second.status_code == 200
    assert second.json()["available"] == "3.000"
    assert second["ETag"] != first["ETag"]


def test_list_paginates_with_cursor(api, catalog):
    first = api.get("/api/v1/products/?page_size=2").json()

    second = api.get(first["next"]).json()

    assert [item["sku"] for item in first["results"]] == ["CAM-BLUE", "CAM-RED"]
    assert [item["sku"] for item in second["results"]] == ["TRIPOD"]
    assert second["next"] is None


@needs_redis
def test_product_list_query_count(api, catalog, django_assert_num_queries):
    # The first request of a client reads the client and records its last use; later ones find it in memory.
    api.get("/api/v1/categories/")

    # Products, translations, attribute values, media, product and model categories.
    with django_assert_num_queries(6):
        response = api.get("/api/v1/products/?page_size=50")

    assert len(response.json()["results"]) == 3


@needs_redis
def test_product_list_query_count_independent_of_size(api, catalog, price_list, django_assert_num_queries):
    extra = build_more_products(price_list, count=20)
    api.get("/api/v1/categories/")

    with django_assert_num_queries(6):
        response = api.get("/api/v1/products/?page_size=50")

    assert len(response.json()["results"]) == 3 + len(extra)


@needs_redis
def test_product_detail_query_count(api, catalog, django_assert_num_queries):
    api.get("/api/v1/categories/")

    # Product, translations, values, media, 2 x categories, sub-models, variants, axes, axis values.
    with django_assert_num_queries(10):
        response = api.get(f"/api/v1/products/{catalog.red.pk}/")

    assert response.status_code == 200


def build_more_products(price_list, count):
    from tests.factories import PriceFactory, ProductFactory, ProductTranslationFactory

    products = []
    for index in range(count):
        product = ProductFactory(sku=f"EXTRA-{index:03d}")
        ProductTranslationFactory(product=product, locale="de_DE")
        PriceFactory(product=product, price_list=price_list)
        products.append(product)
    return products


def test_list_etag_gives_304(api, catalog):
    first = api.get("/api/v1/products/?in_stock=true")

    second = api.get("/api/v1/products/?in_stock=true", HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200
    assert first["ETag"].startswith('"')
    assert second.status_code == 304
    assert second.content == b""


def test_order_body_as_form_is_415(api):
    response = api.post("/api/v1/orders/", {"number": "WEB-1"}, HTTP_IDEMPOTENCY_KEY="key-1")

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_schema_offers_only_json_bodies(api):
    schema = api.get("/api/v1/schema/?format=json").json()

    assert list(schema["paths"]["/api/v1/orders/"]["post"]["requestBody"]["content"]) == ["application/json"]
