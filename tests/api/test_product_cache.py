"""The server-side response cache: a repeated read costs no query, and every catalog write
through the stock service or the Akeneo import shows on the next read with a new ETag."""

from decimal import Decimal

import pytest

from apiclients.services import create_client
from catalog.models import Channel, ChannelStockBuffer, Price, PriceList, Product, Warehouse
from catalog.models.stock import ReleaseReason
from catalog.services.stock import available_for_channel, record_on_hand, release_order
from integrations.akeneo.services import import_csv_export
from tests.akeneo.conftest import DEMO_EXPORT, REFERENCE_FILES, product_line, write_products
from tests.api.conftest import needs_redis
from tests.api.test_orders import camera, order_body, post_order  # noqa: F401  (camera is a fixture)

pytestmark = pytest.mark.django_db


def read(api, product, **headers):
    return api.get(f"/api/v1/products/{product.pk}/", **headers)


@needs_redis
def test_repeated_detail_costs_no_query(api, catalog, django_assert_num_queries):
    first = read(api, catalog.red)

    # The client is kept in process memory; the versions and the response come from Redis.
    with django_assert_num_queries(0):
        second = read(api, catalog.red)

    assert second.json() == first.json()
    assert second["ETag"] == first["ETag"]


@needs_redis
def test_repeated_list_costs_no_query(api, catalog, django_assert_num_queries):
    first = api.get("/api/v1/products/?in_stock=true")

    with django_assert_num_queries(0):
        second = api.get("/api/v1/products/?in_stock=true")

    assert second.json() == first.json()
    assert [item["sku"] for item in second.json()["results"]] == ["CAM-RED", "TRIPOD"]


def test_on_hand_change_shows_on_next_detail_read(api, catalog, channel, django_capture_on_commit_callbacks):
    first = read(api, catalog.tripod)
    warehouse = Warehouse.objects.get(code="main")

    with django_capture_on_commit_callbacks(execute=True):
        record_on_hand(catalog.tripod, warehouse, Decimal(7))
    second = read(api, catalog.tripod, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.json()["available"] == "40.000"
    assert second.status_code == 200
    assert second.json()["available"] == "7.000"
    assert Decimal(second.json()["available"]) == available_for_channel(catalog.tripod, channel)
    assert second["ETag"] != first["ETag"]


def test_variant_stock_change_shows_in_sibling_detail(api, catalog, django_capture_on_commit_callbacks):
    first = read(api, catalog.red).json()["variants"]
    warehouse = Warehouse.objects.get(code="main")

    with django_capture_on_commit_callbacks(execute=True):
        record_on_hand(catalog.blue, warehouse, Decimal(10))
    second = read(api, catalog.red).json()["variants"]

    # Blue holds back a channel buffer of 2.
    assert [(variant["sku"], variant["available"]) for variant in first] == [("CAM-BLUE", "0.000"), ("CAM-RED", "4.000")]
    assert [(variant["sku"], variant["available"]) for variant in second] == [("CAM-BLUE", "8.000"), ("CAM-RED", "4.000")]


def test_stock_change_shows_in_cached_list_filter(api, catalog, django_capture_on_commit_callbacks):
    first = api.get("/api/v1/products/?in_stock=true").json()
    warehouse = Warehouse.objects.get(code="main")

    with django_capture_on_commit_callbacks(execute=True):
        record_on_hand(catalog.tripod, warehouse, Decimal(0))
    second = api.get("/api/v1/products/?in_stock=true").json()

    assert [item["sku"] for item in first["results"]] == ["CAM-RED", "TRIPOD"]
    assert [(item["sku"], item["available"]) for item in second["results"]] == [("CAM-RED", "4.000")]


def test_order_reservation_and_release_show_on_next_read(api, camera, channel, django_capture_on_commit_callbacks):  # noqa: F811
    before = read(api, camera)

    with django_capture_on_commit_callbacks(execute=True):
        created = post_order(api, order_body(quantity="2"))
    reserved = read(api, camera, HTTP_IF_NONE_MATCH=before["ETag"])
    with django_capture_on_commit_callbacks(execute=True):
        release_order(camera.order_lines.get().order, reason=ReleaseReason.ORDER_CANCELLED)
    released = read(api, camera, HTTP_IF_NONE_MATCH=reserved["ETag"])

    assert created.status_code == 201
    assert [before.json()["available"], reserved.json()["available"], released.json()["available"]] == ["3.000", "1.000", "3.000"]
    assert reserved.status_code == 200
    assert released.status_code == 200
    # The same body gives the same tag again.
    assert reserved["ETag"] != before["ETag"]
    assert released["ETag"] == before["ETag"]


def test_uncommitted_write_keeps_cached_response(api, catalog):
    # Versions change only when the write commits, so a rolled-back change never shows.
    first = read(api, catalog.tripod)
    record_on_hand(catalog.tripod, Warehouse.objects.get(code="main"), Decimal(5))  # on_commit never runs here

    second = read(api, catalog.tripod)

    assert second.json()["available"] == first.json()["available"] == "40.000"


@pytest.fixture
def akeneo_export(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    for name in REFERENCE_FILES:
        (folder / name).write_bytes((DEMO_EXPORT / name).read_bytes())
    return folder


def test_akeneo_price_change_shows_on_next_read(akeneo_export, media_root_for_cache, django_capture_on_commit_callbacks):
    write_products(akeneo_export, [product_line("CAM-9", price_EUR="100.00")])
    with django_capture_on_commit_callbacks(execute=True):
        import_csv_export(akeneo_export)
    channel = Channel.objects.get(code="ecommerce")
    channel.currencies = ["EUR"]
    channel.save()
    _client, http = _client_for(channel)
    product = Product.objects.get(sku="CAM-9")
    first = read(http, product)

    write_products(akeneo_export, [product_line("CAM-9", price_EUR="120.00")])
    with django_capture_on_commit_callbacks(execute=True):
        import_csv_export(akeneo_export)
    second = read(http, product, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.json()["price"]["amount"] == "100.00"
    assert second.status_code == 200
    assert second.json()["price"]["amount"] == "120.00"
    assert second["ETag"] != first["ETag"]


def test_akeneo_name_change_shows_on_next_read(akeneo_export, media_root_for_cache, django_capture_on_commit_callbacks):
    write_products(akeneo_export, [product_line("CAM-9", name="Old name", price_EUR="100.00")])
    with django_capture_on_commit_callbacks(execute=True):
        import_csv_export(akeneo_export)
    channel = Channel.objects.get(code="ecommerce")
    _client, http = _client_for(channel)
    product = Product.objects.get(sku="CAM-9")
    first = read(http, product, HTTP_ACCEPT_LANGUAGE="en-US")

    write_products(akeneo_export, [product_line("CAM-9", name="New name", price_EUR="100.00")])
    with django_capture_on_commit_callbacks(execute=True):
        import_csv_export(akeneo_export)
    second = read(http, product, HTTP_ACCEPT_LANGUAGE="en-US")

    assert first.json()["name"] == "Old name"
    assert second.json()["name"] == "New name"
    assert second["ETag"] != first["ETag"]


@pytest.fixture
def media_root_for_cache(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _client_for(channel):
    from rest_framework.test import APIClient

    client, token = create_client(
        name="Storefront", channel=channel, scopes=["catalog:read"], actor="test",
        price_list=PriceList.objects.get(code="pim"), throttle_rate="100000/min",
    )
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client, http


@needs_redis
def test_saved_price_shows_on_next_read(api, catalog, price_list, django_capture_on_commit_callbacks):
    first = read(api, catalog.tripod)
    listed = api.get("/api/v1/products/?category=accessories")
    price = Price.objects.get(product=catalog.tripod, price_list=price_list, currency="EUR")

    with django_capture_on_commit_callbacks(execute=True):
        # As the admin saves it: a plain save(), no service.
        price.amount = Decimal("31.50")
        price.save()
    second = read(api, catalog.tripod)

    assert first.json()["price"]["amount"] == "29.90"
    assert second.json()["price"]["amount"] == "31.50"
    assert api.get("/api/v1/products/?category=accessories").json() != listed.json()


@needs_redis
def test_saved_channel_buffer_shows_on_next_read(api, catalog, channel, django_capture_on_commit_callbacks):
    first = read(api, catalog.tripod)

    with django_capture_on_commit_callbacks(execute=True):
        ChannelStockBuffer.objects.create(channel=channel, product=None, quantity=Decimal(5))
    second = read(api, catalog.tripod)

    assert Decimal(second.json()["available"]) == Decimal(first.json()["available"]) - 5
