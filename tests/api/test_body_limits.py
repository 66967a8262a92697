"""A request body over DATA_UPLOAD_MAX_MEMORY_SIZE gets a 413 in the API's error shape."""

import json

import pytest
from django.test import override_settings

from orders.models import Order

pytestmark = pytest.mark.django_db


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_order_body_over_limit_is_413(api):
    body = json.dumps({"number": "WEB-1", "customer_note": "x" * 2000})

    response = api.post("/api/v1/orders/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="key-1")

    assert response.status_code == 413
    error = response.json()
    assert error["code"] == "payload_too_large"
    assert error["message"].startswith("The request body is larger than 1000 bytes.")
    assert Order.objects.count() == 0


def test_schema_documents_413_where_a_body_is_read(api):
    schema = api.get("/api/v1/schema/?format=json").json()

    assert "413" in schema["paths"]["/api/v1/orders/"]["post"]["responses"]
    assert "413" not in schema["paths"]["/api/v1/products/"]["get"]["responses"]
