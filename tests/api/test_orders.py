from decimal import Decimal

import pytest

from apiclients.models import IdempotencyRecord, Scope
from catalog.models import StockLevel, StockReservation
from orders.models import Order
from tests.api.conftest import make_client
from tests.factories import (
    OrderFactory,
    PaymentFactory,
    PriceFactory,
    ProductFactory,
    ShipmentFactory,
    StockLevelFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def camera(price_list):
    product = ProductFactory(sku="CAM-1")
    PriceFactory(product=product, price_list=price_list, amount=Decimal("119.00"))
    StockLevelFactory(product=product, on_hand=Decimal(3))
    return product


def order_body(number="WEB-1", quantity="2", sku="CAM-1"):
    gross = Decimal("119.00") * Decimal(quantity)
    net = (gross / Decimal("1.19")).quantize(Decimal("0.01"))
    return {
        "number": number,
        "currency": "EUR",
        "email": "Anna@Example.com",
        "lines": [
            {"sku": sku, "quantity": quantity, "unit_price": "119.00", "tax_rate": "19", "total_net": str(net), "total_tax": str(gross - net), "total_gross": str(gross)}
        ],
        "total_net": str(net),
        "total_tax": str(gross - net),
        "total_gross": str(gross),
        "billing_address": {"first_name": "Anna", "last_name": "Berg", "street": "Hauptstraße 1", "postal_code": "10115", "city": "Berlin", "country": "DE"},
        "shipping_address": {"first_name": "Anna", "street": "Hauptstraße 1", "postal_code": "10115", "city": "Berlin", "country": "DE"},
    }


def post_order(api, body, key="key-1"):
    return api.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_create_order_reserves_stock(api, camera):
    response = post_order(api, order_body())

    assert response.status_code == 201
    data = response.json()
    assert data["number"] == "WEB-1"
    assert data["status"] == "new"
    assert data["payment_state"] == "unpaid"
    assert data["email"] == "anna@example.com"
    assert data["total_gross"] == "238.00"
    assert data["addresses"][0]["city"] == "Berlin"
    assert response["Location"] == f"/api/v1/orders/{data['id']}/"
    assert StockLevel.objects.get(product=camera).reserved == Decimal(2)


def test_same_key_same_body_replays(api, camera):
    first = post_order(api, order_body())

    second = post_order(api, order_body())

    assert second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second.json()["id"] == first.json()["id"]
    assert Order.objects.count() == 1
    assert StockLevel.objects.get(product=camera).reserved == Decimal(2)


def test_same_key_other_body_is_422(api, camera):
    post_order(api, order_body())

    response = post_order(api, order_body(number="WEB-2", quantity="1"))

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert response.json()["field"] == "Idempotency-Key"
    assert response.json()["value"] == "key-1"
    assert Order.objects.count() == 1


def test_missing_idempotency_key_is_400(api, camera):
    response = api.post("/api/v1/orders/", order_body(), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "missing_idempotency_key"
    assert Order.objects.count() == 0


def test_more_than_available_is_409(api, camera):
    response = post_order(api, order_body(quantity="4"))

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "insufficient_stock"
    assert body["field"] == "lines[0].quantity"
    assert body["value"] == "4"
    assert "CAM-1" in body["message"]
    assert Order.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0
    assert StockReservation.objects.count() == 0


def test_channel_buffer_counts_against_order(api, camera, channel):
    from tests.factories import ChannelStockBufferFactory

    ChannelStockBufferFactory(channel=channel, product=camera, quantity=Decimal(2))

    response = post_order(api, order_body(quantity="2"))

    assert response.status_code == 409
    assert "1 available" in response.json()["message"]


def test_sku_without_channel_price_is_400(api, camera):
    ProductFactory(sku="UNPRICED")

    response = post_order(api, order_body(sku="UNPRICED", quantity="1"))

    assert response.status_code == 400
    assert response.json()["code"] == "not_sold"
    assert response.json()["field"] == "lines[0].sku"
    assert response.json()["value"] == "UNPRICED"
    assert Order.objects.count() == 0


def test_unknown_sku_is_400(api, camera):
    response = post_order(api, order_body(sku="NOPE", quantity="1"))

    assert response.status_code == 400
    assert response.json()["field"] == "lines[0].sku"
    assert response.json()["value"] == "NOPE"
    assert "NOPE" in response.json()["message"]


def test_wrong_totals_name_field(api, camera):
    body = order_body()
    body["total_gross"] = "1.00"

    response = post_order(api, body)

    assert response.status_code == 400
    fields = [error["field"] for error in response.json()["errors"]]
    assert "total_gross" in fields
    assert Order.objects.count() == 0


def test_malformed_body_names_nested_field(api, camera):
    body = order_body()
    body["lines"][0]["quantity"] = "many"

    response = post_order(api, body)

    assert response.status_code == 400
    assert response.json()["field"] == "lines[0].quantity"
    assert response.json()["value"] == "many"


def test_existing_number_other_key_is_409(api, camera):
    post_order(api, order_body(quantity="1"))

    response = post_order(api, order_body(quantity="1"), key="key-2")

    assert response.status_code == 409
    assert response.json()["code"] == "order_exists"
    assert response.json()["value"] == "WEB-1"
    assert StockLevel.objects.get(product=camera).reserved == Decimal(1)


def test_orders_of_other_channel_invisible(api, channel):
    own = OrderFactory(channel=channel)
    other = OrderFactory()

    listed = api.get("/api/v1/orders/").json()["results"]
    response = api.get(f"/api/v1/orders/{other.pk}/")

    assert [order["id"] for order in listed] == [own.pk]
    assert response.status_code == 404


def test_customer_bound_client_sees_own_orders_only(channel, price_list):
    mine = OrderFactory(channel=channel, email="anna@example.com")
    OrderFactory(channel=channel, email="bob@example.com")
    _client, http = make_client(channel, customer_email="anna@example.com")

    listed = http.get("/api/v1/orders/").json()["results"]

    assert [order["id"] for order in listed] == [mine.pk]


def test_order_shows_payment_and_shipment(api, channel):
    order = OrderFactory(channel=channel, payment_state="paid", status="shipped")
    PaymentFactory(order=order, status="captured", captured_amount=Decimal("11.90"))
    ShipmentFactory(order=order, tracking_number="00340434000000000001", status="in_transit")

    data = api.get(f"/api/v1/orders/{order.pk}/").json()

    assert data["payment_state"] == "paid"
    assert data["payments"][0]["status"] == "captured"
    assert data["payments"][0]["captured_amount"] == "11.90"
    assert data["shipments"][0]["tracking_number"] == "00340434000000000001"
    assert data["shipments"][0]["status"] == "in_transit"


def test_order_write_needs_scope(channel, camera):
    _client, http = make_client(channel, scopes=[Scope.ORDERS_READ])

    response = post_order(http, order_body())

    assert response.status_code == 403
    assert "orders:write" in response.json()["message"]
    assert Order.objects.count() == 0


def test_unit_price_below_catalog_is_409(api, camera):
    body = order_body()
    body["lines"][0].update(unit_price="1.00", total_net="1.68", total_tax="0.32", total_gross="2.00")
    body.update(total_net="1.68", total_tax="0.32", total_gross="2.00")

    response = post_order(api, body)

    assert response.status_code == 409
    error = response.json()
    assert error["code"] == "price_mismatch"
    assert error["field"] == "lines[0].unit_price"
    assert error["value"] == "1.00"
    assert "The unit price 1.00 of SKU CAM-1 differs from the catalog price 119.00 EUR." in error["message"]
    assert Order.objects.count() == 0
    assert StockLevel.objects.get(product=camera).reserved == Decimal(0)


def test_net_order_matches_gross_catalog_price(api, camera):
    body = order_body(quantity="1")
    body["prices_include_tax"] = False
    body["lines"][0]["unit_price"] = "100.00"

    response = post_order(api, body)

    assert response.status_code == 201


def test_channel_price_wins_over_general_price(api, camera, channel, price_list):
    PriceFactory(product=camera, price_list=price_list, channel=channel, amount=Decimal("99.00"))

    general = post_order(api, order_body(), key="key-general")
    body = order_body(number="WEB-2", quantity="1")
    body["lines"][0].update(unit_price="99.00", total_net="83.19", total_tax="15.81", total_gross="99.00")
    body.update(total_net="83.19", total_tax="15.81", total_gross="99.00")
    own = post_order(api, body, key="key-own")

    assert general.status_code == 409
    assert general.json()["code"] == "price_mismatch"
    assert own.status_code == 201


def one_line_body(**line):
    """An order body of one CAM-1 line at 119.00 gross, with the line's fields overridden."""
    body = order_body(quantity="1")
    body["lines"][0].update(line)
    return body


@pytest.mark.parametrize(
    ("line", "field", "expected"),
    [
        ({"quantity": "5"}, "lines[0].total_gross", "595.00"),
        ({"discount": "118"}, "lines[0].total_gross", "1.00"),
        ({"quantity": "0.5"}, "lines[0].total_gross", "59.50"),
    ],
)
def test_line_total_not_quantity_times_price_is_400(api, camera, line, field, expected):
    response = post_order(api, one_line_body(**line))

    assert response.status_code == 400
    errors = {error["field"]: error for error in response.json()["errors"]}
    assert errors[field]["code"] == "invalid_order"
    assert errors[field]["value"] == "119.00"
    assert f"is {expected}." in errors[field]["message"]
    assert Order.objects.count() == 0
    assert StockLevel.objects.get(product=camera).reserved == Decimal(0)


def test_tax_rate_not_matching_tax_is_400(api, camera):
    response = post_order(api, one_line_body(tax_rate="7"))

    assert response.status_code == 400
    errors = {error["field"]: error for error in response.json()["errors"]}
    assert errors["lines[0].total_tax"]["value"] == "19.00"
    assert "tax 19.00 does not match 7 % of net 100.00, which is 7.00." in errors["lines[0].total_tax"]["message"]
    assert Order.objects.count() == 0


def test_line_with_discount_accepted(api, camera):
    body = one_line_body(quantity="2", discount="38.00", total_net="168.07", total_tax="31.93", total_gross="200.00")
    body.update(total_net="168.07", total_tax="31.93", total_gross="200.00")

    response = post_order(api, body)

    assert response.status_code == 201
    line = response.json()["lines"][0]
    assert line["discount"] == "38.00"
    assert line["total_gross"] == "200.00"


def test_stock_conflict_shows_plain_quantities(api, camera):
    StockLevel.objects.filter(product=camera).update(on_hand=Decimal(20))

    response = post_order(api, order_body(quantity="100000"))

    assert response.status_code == 409
    message = response.json()["message"]
    assert "100000 ordered, 20 available" in message
    assert "E+" not in message


def test_amounts_have_currency_places(api, camera):
    request_body = one_line_body(quantity="1", discount="19.00", total_net="84.03", total_tax="15.97", total_gross="100.00")
    request_body.update(total_net="84.03", total_tax="15.97", total_gross="100.00")
    created = post_order(api, request_body)
    body = created.json()
    assert created.status_code == 201, body

    order = api.get(f"/api/v1/orders/{body['id']}/").json()

    assert order["total_gross"] == "100.00"
    assert order["shipping_gross"] == "0.00"
    assert order["lines"][0]["unit_price"] == "119.00"
    assert order["lines"][0]["total_net"] == "84.03"
