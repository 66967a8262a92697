"""Builders shared by the shipping tests."""

import json

from integrations.sendcloud.webhooks import compute_signature
from orders.models import AddressKind, OrderAddress
from tests.payments.support import fixture, make_connection, make_order

SENDCLOUD_SECRET = "sendcloud-secret-key-0123456789"


def make_order_with_address(number="1001"):
    order = make_order(number)
    OrderAddress.objects.create(
        order=order, kind=AddressKind.SHIPPING, first_name="Erika", last_name="Mustermann",
        street="Heidestrasse 17", postal_code="51147", city="Koeln", country="DE",
    )
    return order


def make_sendcloud():
    return make_connection(
        "sendcloud", "sendcloud",
        {"public_key": "sc-public", "secret_key": SENDCLOUD_SECRET, "shipping_method_id": "8"},
        base_url="https://sendcloud.test",
    )


def parcel_event(status_id, changed_at_ms, message=""):
    payload = fixture("sendcloud", "parcel_status_changed")
    payload["parcel"]["status"] = {"id": status_id, "message": message or str(status_id)}
    payload["carrier_status_change_timestamp"] = changed_at_ms
    payload["timestamp"] = changed_at_ms + 500
    return payload


def post_parcel_event(client, connection, payload, *, secret=SENDCLOUD_SECRET, body=None):
    body = body if body is not None else json.dumps(payload).encode()
    return client.post(
        f"/hooks/{connection.slug}/", data=body, content_type="application/json",
        HTTP_SENDCLOUD_SIGNATURE=compute_signature(secret, body),
    )
