"""POST /api/v1/orders/ names a missing tax_rate and a missing or nameless billing address."""

import pytest

from orders.models import Order
from tests.api.test_orders import camera, one_line_body, order_body, post_order  # noqa: F401 (camera is a fixture)

pytestmark = pytest.mark.django_db


def errors_by_field(response):
    return {error["field"]: error for error in response.json()["errors"]}


def test_missing_tax_rate_with_tax_rejected(api, camera):  # noqa: F811
    body = one_line_body()
    del body["lines"][0]["tax_rate"]

    response = post_order(api, body)

    assert response.status_code == 400
    error = errors_by_field(response)["lines[0].tax_rate"]
    assert error["code"] == "required"
    assert error["value"] is None
    assert "tax_rate is missing, but the line has tax 19.00." in error["message"]
    assert "Send the line's tax rate in percent" in error["message"]
    assert "lines[0].total_tax" not in errors_by_field(response)
    assert Order.objects.count() == 0


def test_missing_tax_rate_second_line_named(api, camera):  # noqa: F811
    body = order_body(quantity="1")
    second = {**body["lines"][0]}
    del second["tax_rate"]
    body["lines"].append(second)

    response = post_order(api, body)

    assert response.status_code == 400
    assert list(errors_by_field(response)) == ["lines[1].tax_rate"]


def test_tax_free_line_without_tax_rate(api, camera):  # noqa: F811
    body = one_line_body(total_net="119.00", total_tax="0", total_gross="119.00")
    body.update(total_net="119.00", total_tax="0", total_gross="119.00")
    del body["lines"][0]["tax_rate"]

    response = post_order(api, body)

    assert response.status_code == 201, response.json()
    assert Order.objects.get().lines.get().tax_rate == 0


def test_missing_billing_address_rejected(api, camera):  # noqa: F811
    body = order_body()
    del body["billing_address"]

    response = post_order(api, body)

    assert response.status_code == 400
    error = errors_by_field(response)["billing_address"]
    assert error["code"] == "required"
    assert "billing_address is missing." in error["message"]
    assert Order.objects.count() == 0


def test_billing_address_without_name_rejected(api, camera):  # noqa: F811
    body = order_body()
    body["billing_address"] = {"street": "Hauptstraße 1", "city": "Berlin", "country": "DE", "first_name": " "}

    response = post_order(api, body)

    assert response.status_code == 400
    error = errors_by_field(response)["billing_address.last_name"]
    assert error["code"] == "missing_name"
    assert "The billing address names no one." in error["message"]
    assert Order.objects.count() == 0


def test_billing_address_company_is_name(api, camera):  # noqa: F811
    body = order_body()
    body["billing_address"] = {"company": "Berg GmbH", "street": "Hauptstraße 1", "city": "Berlin", "country": "DE"}

    response = post_order(api, body)

    assert response.status_code == 201, response.json()


def test_required_messages_in_german(api, camera):  # noqa: F811
    body = one_line_body()
    del body["lines"][0]["tax_rate"]
    del body["billing_address"]

    response = api.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="key-1", HTTP_ACCEPT_LANGUAGE="de")

    errors = errors_by_field(response)
    assert "tax_rate fehlt" in errors["lines[0].tax_rate"]["message"]
    assert "billing_address fehlt" in errors["billing_address"]["message"]


def test_schema_marks_billing_address_required(api):
    schema = api.get("/api/v1/schema/?format=json").json()

    order_input = schema["components"]["schemas"]["OrderInputRequest"]
    assert "billing_address" in order_input["required"]
    assert "tax_rate" not in schema["components"]["schemas"]["LineInputRequest"].get("required", [])
