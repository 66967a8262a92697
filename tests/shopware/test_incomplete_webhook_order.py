"""An order webhook that lacks a part Kontor needs: the order is read again from the shop.

A business event carries the order with the associations Shopware loaded for it. When the
currency or the line items are missing, Kontor reads the order once from the Admin API with all
of them, so the order is imported without anyone pressing Retry.
"""

import json
from decimal import Decimal

import pytest
from django.utils import timezone

from integrations.models import InboundEvent, InboundState, SyncError
from integrations.sandbox import faults, store
from integrations.sandbox.shopware.orders import PlacedLine, place_order
from integrations.sandbox.shopware.state import DEFAULT_SHOP_SECRET
from integrations.services.inbox import process_inbound_event
from integrations.shopware import webhooks
from integrations.shopware.tasks import push_catalog
from orders.models import Order
from tests.shopware.test_webhooks import fixture_bytes, post_hook

pytestmark = pytest.mark.django_db


@pytest.fixture
def placed(sandbox, connection, make_product, django_capture_on_commit_callbacks):
    """An order of 2 x SW-5 in the sandbox shop, whose own webhook was dropped."""
    make_product("SW-5", on_hand=10)
    push_catalog(connection.pk)
    faults.update_faults("shopware", {"drop_webhooks_percent": 100})
    shop_product = store.find_by_natural_key("shopware", "product", "SW-5").data
    with django_capture_on_commit_callbacks(execute=True):
        order = place_order(
            [PlacedLine(product=shop_product, quantity=2, unit_gross=Decimal("11.90"))],
            customer_number="17850", country_iso="DE", placed_at=timezone.now(),
        )
    faults.update_faults("shopware", {"drop_webhooks_percent": 0})
    return order


def post_without(client, order, part):
    """Post the placed webhook of `order` without `part`, signed as the shop signs it; return its event."""
    document = json.loads(fixture_bytes("checkout.order.placed"))
    document["data"]["payload"]["order"] = {key: value for key, value in order.items() if key != part}
    body = json.dumps(document).encode()
    post_hook(client, body, webhooks.signature(body, DEFAULT_SHOP_SECRET))
    return InboundEvent.objects.order_by("-pk").first()


@pytest.mark.parametrize("part", ["currency", "lineItems"])
def test_incomplete_order_read_from_shop(client, placed, part):
    event = post_without(client, placed, part)

    process_inbound_event(event.pk)

    event.refresh_from_db()
    assert (event.state, event.outcome) == (InboundState.PROCESSED, "created")
    order = Order.objects.get()
    assert order.external_number == placed["orderNumber"]
    assert order.currency == "EUR"
    assert [(line.sku, line.quantity) for line in order.lines.all()] == [("SW-5", Decimal(2))]
    assert order.total_gross == Decimal(str(placed["amountTotal"]))
    assert SyncError.objects.count() == 0


def test_order_retried_while_shop_unreachable(client, placed):
    event = post_without(client, placed, "currency")
    faults.update_faults("shopware", {"server_error_percent": 100, "server_error_status": 503})

    process_inbound_event(event.pk)

    event.refresh_from_db()
    assert event.state == InboundState.PENDING
    assert event.next_attempt_at is not None
    assert Order.objects.count() == 0

    faults.update_faults("shopware", {"server_error_percent": 0})
    process_inbound_event(event.pk)

    event.refresh_from_db()
    assert (event.state, event.outcome) == (InboundState.PROCESSED, "created")
    assert Order.objects.get().currency == "EUR"


def test_order_missing_in_shop_rejected(client, sandbox, connection, make_product):
    make_product("SW-TEST-1", on_hand=5)
    document = json.loads(fixture_bytes("checkout.order.placed"))
    document["data"]["payload"]["order"]["currency"] = None
    body = json.dumps(document).encode()
    post_hook(client, body, webhooks.signature(body, DEFAULT_SHOP_SECRET))
    event = InboundEvent.objects.get()

    process_inbound_event(event.pk)

    event.refresh_from_db()
    assert event.state == InboundState.FAILED
    assert Order.objects.count() == 0
    message = SyncError.objects.get(inbound_event=event).message
    assert "Shopware sent the order without its currency" in message
    assert message.endswith("Shopware fields concerned: currency.isoCode.")
