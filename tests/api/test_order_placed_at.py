"""placed_at of POST /api/v1/orders/: an ISO 8601 time with an offset, not in the future."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Order
from tests.api.test_orders import camera, order_body, post_order  # noqa: F401 (camera is a fixture)

pytestmark = pytest.mark.django_db


def placed_at_error(response):
    errors = {error["field"]: error for error in response.json()["errors"]}
    return errors["placed_at"]


def test_placed_at_without_offset_rejected(api, camera):  # noqa: F811
    response = post_order(api, {**order_body(), "placed_at": "2026-12-05T10:00:00"})

    assert response.status_code == 400
    error = placed_at_error(response)
    assert error["code"] == "missing_offset"
    assert error["value"] == "2026-12-05T10:00:00"
    assert "placed_at 2026-12-05T10:00:00 has no time zone offset." in error["message"]
    assert "ISO 8601 time with an offset" in error["message"]
    assert Order.objects.count() == 0


def test_placed_at_far_future_rejected(api, camera):  # noqa: F811
    response = post_order(api, {**order_body(), "placed_at": "2099-01-01T00:00:00Z"})

    assert response.status_code == 400
    error = placed_at_error(response)
    assert error["code"] == "in_future"
    assert error["value"] == "2099-01-01T00:00:00Z"
    assert "placed_at 2099-01-01T00:00:00Z is in the future." in error["message"]
    assert "at most 5 minutes after Kontor's clock" in error["message"]
    assert Order.objects.count() == 0


def test_placed_at_within_skew_accepted(api, camera):  # noqa: F811
    placed_at = timezone.now() + timedelta(minutes=4)

    response = post_order(api, {**order_body(), "placed_at": placed_at.isoformat()})

    assert response.status_code == 201, response.json()
    assert Order.objects.get().placed_at == placed_at


def test_placed_at_offset_converted_to_utc(api, camera):  # noqa: F811
    response = post_order(api, {**order_body(), "placed_at": "2026-12-05T11:00:00+01:00"})

    assert response.status_code == 201, response.json()
    assert Order.objects.get().placed_at.isoformat() == "2026-12-05T10:00:00+00:00"


def test_placed_at_message_in_german(api, camera):  # noqa: F811
    response = api.post(
        "/api/v1/orders/", {**order_body(), "placed_at": "2026-12-05T10:00:00"}, format="json",
        HTTP_IDEMPOTENCY_KEY="key-1", HTTP_ACCEPT_LANGUAGE="de",
    )

    assert response.status_code == 400
    assert "placed_at 2026-12-05T10:00:00 hat keinen Zeitzonen-Offset." in placed_at_error(response)["message"]
