from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Product
from tests.api.conftest import make_client
from tests.factories import PriceFactory, PriceListFactory

pytestmark = pytest.mark.django_db


def skus(api, query):
    response = api.get(f"/api/v1/products/?{query}")
    assert response.status_code == 200, response.json()
    return [item["sku"] for item in response.json()["results"]]


def test_category_includes_subcategories_and_models(api, catalog):
    assert skus(api, "category=cameras") == ["CAM-BLUE", "CAM-RED"]
    assert skus(api, "category=compact") == ["CAM-BLUE", "CAM-RED"]
    assert skus(api, "category=accessories") == ["TRIPOD"]


def test_attribute_filter_by_option_and_text(api, catalog):
    assert skus(api, "attribute=color:red") == ["CAM-RED"]
    assert skus(api, "attribute=brand:Optika") == ["CAM-RED"]
    assert skus(api, "attribute=brand:Optika%20Pro,color:blue") == ["CAM-BLUE"]


def test_price_range_uses_effective_price(api, catalog):
    # CAM-BLUE costs 209.00 in general but 189.00 on this channel.
    assert skus(api, "price_min=150&price_max=195") == ["CAM-BLUE"]
    assert skus(api, "price_min=190&price_max=210") == ["CAM-RED"]
    assert skus(api, "price_min=200") == []
    assert skus(api, "price_max=30") == ["TRIPOD"]


def test_in_stock_filter(api, catalog):
    assert skus(api, "in_stock=true") == ["CAM-RED", "TRIPOD"]
    assert skus(api, "in_stock=false") == ["CAM-BLUE"]


def test_updated_since_filter(api, catalog):
    cutoff = timezone.now() + timedelta(minutes=1)
    Product.objects.filter(pk=catalog.tripod.pk).update(updated_at=cutoff + timedelta(seconds=5))

    assert skus(api, "updated_since=" + cutoff.strftime("%Y-%m-%dT%H:%M:%SZ")) == ["TRIPOD"]


def test_search_on_name_and_sku(api, catalog):
    assert skus(api, "q=stativ") == ["TRIPOD"]
    assert skus(api, "q=cam-r") == ["CAM-RED"]
    assert skus(api, "q=kamera") == ["CAM-BLUE", "CAM-RED"]


def test_sku_and_model_filters(api, catalog):
    assert skus(api, "sku=TRIPOD,CAM-RED") == ["CAM-RED", "TRIPOD"]
    assert skus(api, "model=CAM") == ["CAM-BLUE", "CAM-RED"]


def test_ordering_by_sku_descending(api, catalog):
    assert skus(api, "ordering=-sku") == ["TRIPOD", "CAM-RED", "CAM-BLUE"]


@pytest.mark.parametrize(
    ("query", "code", "field", "value"),
    [
        ("category=nope", "unknown_category", "category", "nope"),
        ("attribute=size:m", "unknown_attribute", "attribute", "size"),
        ("attribute=color", "invalid_filter", "attribute", "color"),
        ("price_min=-1", "invalid_filter", "price_min", "-1"),
        ("price_max=abc", "invalid_filter", "price_max", "abc"),
        ("in_stock=maybe", "invalid_filter", "in_stock", "maybe"),
        ("updated_since=yesterday", "invalid_filter", "updated_since", "yesterday"),
        ("ordering=price", "unknown_ordering", "ordering", "price"),
        ("colour=red", "unknown_parameter", "colour", "red"),
        ("page_size=0", "invalid_page_size", "page_size", "0"),
        ("page_size=101", "invalid_page_size", "page_size", "101"),
        ("page_size=-5", "invalid_page_size", "page_size", "-5"),
        ("page_size=99999999999999999999", "invalid_page_size", "page_size", "99999999999999999999"),
        ("cursor=zzz", "invalid_cursor", "cursor", "zzz"),
        ("locale=xx_XX", "unknown_locale", "locale", "xx_XX"),
        ("currency=EURO", "unknown_currency", "currency", "EURO"),
        ("currency=USD", "currency_not_sold", "currency", "USD"),
        ("price_list=b2b", "unknown_price_list", "price_list", "b2b"),
        ("format=bogus", "unknown_format", "format", "bogus"),
    ],
)
def test_bad_query_is_400_naming_parameter(api, catalog, query, code, field, value):
    response = api.get(f"/api/v1/products/?{query}")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code
    assert body["field"] == field
    assert body["value"] == value
    assert value in body["message"] or field in body["message"]


def test_price_min_above_max_is_400(api, catalog):
    response = api.get("/api/v1/products/?price_min=10&price_max=5")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_filter"
    assert body["field"] == "price_min"
    assert body["value"] == "10"
    assert body["message"].startswith("price_min 10 is greater than price_max 5.")


def test_equal_price_bounds_accepted(api, catalog):
    assert skus(api, "price_min=189&price_max=189") == ["CAM-BLUE"]


def test_lower_case_currency_names_upper_case(api, catalog):
    response = api.get("/api/v1/products/?currency=eur")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unknown_currency"
    assert body["value"] == "eur"
    assert body["message"] == "Unknown currency eur. Currency codes are upper case, so use EUR."


def test_unknown_currency_asks_for_upper_case(api, catalog):
    response = api.get("/api/v1/products/?currency=EURO")

    assert response.json()["message"] == "Unknown currency EURO. Use an upper-case ISO 4217 code such as EUR."


def test_lower_case_currency_error_in_german(api, catalog):
    response = api.get("/api/v1/products/?currency=eur", HTTP_ACCEPT_LANGUAGE="de")

    assert response.json()["message"] == "Unbekannte Währung eur. Währungscodes werden großgeschrieben, verwenden Sie also EUR."


def test_price_range_error_in_german(api, catalog):
    response = api.get("/api/v1/products/?price_min=10&price_max=5", HTTP_ACCEPT_LANGUAGE="de")

    assert response.json()["message"].startswith("price_min 10 ist größer als price_max 5.")


@pytest.mark.parametrize("query", ["format=bogus", "format=xml"])
def test_schema_unknown_format_is_json_400(client, query):
    response = client.get(f"/api/v1/schema/?{query}")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "unknown_format"
    assert body["value"] == query.split("=")[1]
    assert body["message"] == f"Unknown format {body['value']}. Use one of: json, yaml, or leave format out."


def test_schema_for_html_accept_is_json_406(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="text/html")

    assert response.status_code == 406
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_acceptable"


def test_schema_formats_still_served(client):
    assert client.get("/api/v1/schema/?format=json").json()["openapi"].startswith("3.")
    assert client.get("/api/v1/schema/").content.startswith(b"openapi: 3.")


def test_format_json_accepted(api, catalog):
    response = api.get("/api/v1/products/?format=json")

    assert response.status_code == 200
    assert len(response.json()["results"]) == 3


@pytest.fixture
def b2b_list(catalog):
    b2b = PriceListFactory(code="b2b", name="B2B")
    PriceFactory(product=catalog.tripod, price_list=b2b, amount=Decimal("19.90"))
    return b2b


def test_price_list_not_enabled_reads_as_unknown(api, b2b_list):
    hidden = api.get("/api/v1/products/?price_list=b2b")
    unknown = api.get("/api/v1/products/?price_list=nope")

    assert hidden.status_code == 400
    assert hidden.json()["code"] == "unknown_price_list"
    assert hidden.json()["message"] == unknown.json()["message"].replace("nope", "b2b")


def test_enabled_price_list_then_removed(channel, price_list, catalog, b2b_list, django_capture_on_commit_callbacks):
    client, http = make_client(channel, price_list=price_list)
    path = f"/api/v1/products/{catalog.tripod.pk}/?price_list=b2b"
    with django_capture_on_commit_callbacks(execute=True):
        client.other_price_lists.add(b2b_list)
    enabled = [http.get(path), http.get(path)]

    with django_capture_on_commit_callbacks(execute=True):
        # No save() of the client: only the many-to-many rows change.
        client.other_price_lists.remove(b2b_list)
    removed = http.get(path)

    assert [response.json()["price"]["amount"] for response in enabled] == ["19.90", "19.90"]
    assert removed.status_code == 400
    assert removed.json()["code"] == "unknown_price_list"


@pytest.mark.parametrize(
    ("header", "channel_locales", "expected"),
    [
        ("de", ["fr_FR"], "de_DE"),
        ("de", ["fr_FR", "de_AT"], "de_AT"),
        ("de-CH", ["fr_FR"], "de_CH"),
        ("de-LI, fr;q=0.5", ["fr_FR"], "de_DE"),
        ("it", ["fr_FR"], None),
    ],
)
def test_bare_language_prefers_channel_then_home_region(header, channel_locales, expected):
    from apiclients.context import _from_accept_language

    known = [*channel_locales, "de_AT", "de_DE", "de_CH", "en_GB", "en_US"]

    assert _from_accept_language(header, list(dict.fromkeys(known)), channel_locales) == expected
