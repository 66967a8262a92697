"""Signed Shopware webhooks of the fixture orders, posted to the test connection's hook address."""

import json
from pathlib import Path

from integrations.models import InboundEvent, InboundState, SyncError
from integrations.sandbox.shopware.state import DEFAULT_SHOP_SECRET
from integrations.shopware import webhooks

FIXTURES = Path(__file__).resolve().parents[2] / "integrations" / "shopware" / "tests" / "fixtures"


def post_fixture_order(client, change=None, *, name="checkout.order.placed", **order_changes):
    """Post the signed webhook of fixture `name` (a file in FIXTURES); return its stored event.

    `order_changes` replace fields of the order, and `change(order)` may edit it further.
    """
    document = json.loads((FIXTURES / f"{name}.json").read_bytes())
    order = document["data"]["payload"]["order"]
    order.update(order_changes)
    if change is not None:
        change(order)
    body = json.dumps(document).encode()
    response = client.post(
        "/hooks/shopware-de/", body, content_type="application/json",
        headers={"shopware-shop-signature": webhooks.signature(body, DEFAULT_SHOP_SECRET)},
    )
    assert response.status_code == 200
    return InboundEvent.objects.order_by("-pk").first()


def order_invalid_error(event):
    """Return the sync error of an event that the worker rejected as an invalid order."""
    event.refresh_from_db()
    assert event.state == InboundState.FAILED
    error = SyncError.objects.get(inbound_event=event)
    assert error.code == "order_invalid"
    return error
