"""Signed Shopware webhooks of the fixture order, posted to the test connection's hook address."""

import json
from pathlib import Path

from integrations.models import InboundEvent
from integrations.sandbox.shopware.state import DEFAULT_SHOP_SECRET
from integrations.shopware import webhooks

FIXTURES = Path(__file__).resolve().parents[2] / "integrations" / "shopware" / "tests" / "fixtures"


def post_fixture_order(client, change=None, **order_changes):
    """Post a signed checkout.order.placed webhook of the fixture order; return its stored event.

    `order_changes` replace fields of the order, and `change(order)` may edit it further.
    """
    document = json.loads((FIXTURES / "checkout.order.placed.json").read_bytes())
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
