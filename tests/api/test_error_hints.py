"""API errors name the rejected value and what to send instead."""

import pytest

from tests.api.test_orders import camera, one_line_body, order_body, post_order  # noqa: F401 (camera is a fixture)

pytestmark = pytest.mark.django_db


def errors_by_field(response):
    return {error["field"]: error for error in response.json()["errors"]}


@pytest.mark.parametrize(
    ("path", "name", "value", "allowed"),
    [
        ("/api/v1/products/", "in_stock", "maybe", "Use one of: true, false."),
        ("/api/v1/orders/", "status", "bogus", "Use one of: new, confirmed,"),
        ("/api/v1/orders/", "payment_state", "bogus", "Use one of: unpaid,"),
    ],
)
def test_choice_filter_lists_allowed_values(api, path, name, value, allowed):
    response = api.get(f"{path}?{name}={value}")

    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "invalid_filter"
    assert data["field"] == name
    assert data["value"] == value
    assert data["message"].startswith(f"Invalid value {value} for filter {name}: ")
    assert allowed in data["message"]
    assert "Select a valid choice" not in data["message"]


def test_datetime_filter_gives_format(api):
    response = api.get("/api/v1/orders/?updated_since=yesterday")

    assert response.status_code == 400
    data = response.json()
    assert data["value"] == "yesterday"
    assert data["message"] == (
        "Invalid value yesterday for filter updated_since: Send an ISO 8601 date and time, "
        "such as 2026-12-05T10:00:00Z or 2026-12-05T11:00:00+01:00."
    )


def test_form_body_asks_for_json(api):
    response = api.post("/api/v1/orders/", "number=WEB-1", content_type="application/x-www-form-urlencoded", HTTP_IDEMPOTENCY_KEY="key-1")

    assert response.status_code == 415
    data = response.json()
    assert data["code"] == "unsupported_media_type"
    assert data["field"] == "Content-Type"
    assert data["value"] == "application/x-www-form-urlencoded"
    assert "application/x-www-form-urlencoded" in data["message"]
    assert "Content-Type: application/json" in data["message"]


def test_multipart_body_value_without_boundary(api):
    response = api.post("/api/v1/orders/", {"number": "WEB-1"}, HTTP_IDEMPOTENCY_KEY="key-1")

    assert response.status_code == 415
    assert response.json()["value"] == "multipart/form-data"


def test_unknown_country_gives_code_hint(api, camera):  # noqa: F811
    body = order_body()
    body["billing_address"]["country"] = "XX"

    response = post_order(api, body)

    assert response.status_code == 400
    error = errors_by_field(response)["billing_address.country"]
    assert error["value"] == "XX"
    assert error["message"] == '"XX" is not an ISO 3166-1 alpha-2 country code. Send the two-letter code, such as DE for Germany or AT for Austria.'


@pytest.mark.parametrize("quantity", ["-2", "0", "0.000"])
def test_quantity_not_positive_rejected(api, camera, quantity):  # noqa: F811
    response = post_order(api, one_line_body(quantity=quantity))

    assert response.status_code == 400
    error = errors_by_field(response)["lines[0].quantity"]
    assert error["value"] == quantity
    assert error["message"].startswith(f"quantity {quantity} is not greater than 0.")
    assert "greater than or equal to 0" not in error["message"]


def test_hints_in_german(api, camera):  # noqa: F811
    german = {"HTTP_ACCEPT_LANGUAGE": "de"}
    body = one_line_body(quantity="-2")
    body["billing_address"]["country"] = "XX"

    choice = api.get("/api/v1/products/?in_stock=maybe", **german).json()
    date = api.get("/api/v1/orders/?updated_since=yesterday", **german).json()
    form = api.post("/api/v1/orders/", "number=1", content_type="application/x-www-form-urlencoded", HTTP_IDEMPOTENCY_KEY="key-1", **german).json()
    order = errors_by_field(api.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="key-2", **german))

    assert choice["message"] == "Ungültiger Wert maybe für Filter in_stock: Verwenden Sie einen dieser Werte: true, false."
    assert "Senden Sie Datum und Uhrzeit nach ISO 8601" in date["message"]
    assert "Senden Sie den Körper als JSON" in form["message"]
    assert "ist kein Ländercode nach ISO 3166-1 alpha-2" in order["billing_address.country"]["message"]
    assert "quantity -2 ist nicht größer als 0." in order["lines[0].quantity"]["message"]
