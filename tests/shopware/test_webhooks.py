import json
from decimal import Decimal
from pathlib import Path

import pytest

from integrations.models import InboundEvent, InboundState, SyncError
from integrations.registry import WebhookMalformed, WebhookRejected
from integrations.sandbox.shopware.state import DEFAULT_SHOP_SECRET
from integrations.services.inbox import process_inbound_event
from integrations.shopware import webhooks
from orders.models import Order

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[2] / "integrations" / "shopware" / "tests" / "fixtures"
# HMAC-SHA256 of checkout.order.placed.json keyed with DEFAULT_SHOP_SECRET, computed with
# `openssl dgst -sha256 -hmac <secret> <file>`, independently of Kontor's code.
KNOWN_GOOD_SIGNATURE = "3b7d190b12d1e6bc9f59e4750a9fd4d6d35e2deec0fc54a9302470c44d35b117"


def fixture_bytes(name):
    return (FIXTURES / f"{name}.json").read_bytes()


def post_hook(client, body, signature):
    return client.post(
        "/hooks/shopware-de/", body, content_type="application/json",
        headers={"shopware-shop-signature": signature, "sw-version": "6.6.10.0"},
    )


def test_signature_matches_known_vector():
    body = fixture_bytes("checkout.order.placed")

    assert webhooks.signature(body, DEFAULT_SHOP_SECRET) == KNOWN_GOOD_SIGNATURE
    webhooks.verify(body, {"shopware-shop-signature": KNOWN_GOOD_SIGNATURE}, [DEFAULT_SHOP_SECRET])


@pytest.mark.parametrize("case", ["one_byte_changed", "reserialized", "wrong_secret", "missing_header"])
def test_tampered_webhook_is_rejected(case):
    body = fixture_bytes("checkout.order.placed")
    headers = {"shopware-shop-signature": KNOWN_GOOD_SIGNATURE}
    secrets = [DEFAULT_SHOP_SECRET]
    if case == "one_byte_changed":
        body = body.replace(b'"quantity": 2', b'"quantity": 3', 1)
    elif case == "reserialized":
        body = json.dumps(json.loads(body), separators=(",", ":")).encode()
    elif case == "wrong_secret":
        secrets = ["another-secret-" + "x" * 60]
    else:
        headers = {}

    with pytest.raises(WebhookRejected):
        webhooks.verify(body, headers, secrets)


def test_previous_secret_still_verifies():
    body = fixture_bytes("checkout.order.placed")

    webhooks.verify(body, {"shopware-shop-signature": KNOWN_GOOD_SIGNATURE.upper()}, ["new-secret-" + "y" * 60, DEFAULT_SHOP_SECRET])


def test_hook_view_rejects_bad_signature(client, connection):
    body = fixture_bytes("checkout.order.placed")

    response = post_hook(client, body, "0" * 64)

    assert response.status_code == 401
    assert InboundEvent.objects.count() == 0


def test_hook_view_rejects_malformed_json(client, connection):
    body = b'{"data": '

    response = post_hook(client, body, webhooks.signature(body, DEFAULT_SHOP_SECRET))

    assert response.status_code == 400
    assert InboundEvent.objects.count() == 0


def test_parse_rejects_order_event_without_order():
    body = json.dumps({"data": {"event": "checkout.order.placed", "payload": {}}}).encode()

    with pytest.raises(WebhookMalformed):
        webhooks.parse(body)


def test_order_written_asks_for_a_fetch():
    items = webhooks.parse(fixture_bytes("order.written"))

    assert len(items) == 1
    assert items[0].payload == {"fetch": True, "id": "a3b9f0c2d4e64f1f8b2c7d9e0f1a2b3c", "operation": "update"}
    assert items[0].dedup_key == "order.written:9b5a4f3e2d1c40b9a8f7e6d5c4b3a201:a3b9f0c2d4e64f1f8b2c7d9e0f1a2b3c"


def test_order_webhook_creates_order_once(client, connection, make_product):
    make_product("SW-TEST-1", on_hand=5)
    body = fixture_bytes("checkout.order.placed")

    first = post_hook(client, body, KNOWN_GOOD_SIGNATURE)
    second = post_hook(client, body, KNOWN_GOOD_SIGNATURE)
    event = InboundEvent.objects.get()
    process_inbound_event(event.pk)
    process_inbound_event(event.pk)

    assert first.json() == {"received": 1, "stored": 1}
    assert second.json() == {"received": 1, "stored": 0}
    order = Order.objects.get()
    assert order.external_number == "10042"
    assert order.total_gross == Decimal("28.70")
    assert order.total_net == Decimal("24.12")
    assert order.shipping_gross == Decimal("4.90")
    assert [(line.sku, line.quantity, line.total_gross) for line in order.lines.all()] == [("SW-TEST-1", Decimal(2), Decimal("23.80"))]
    assert order.addresses.get(kind="billing").country.code == "DE"
    event.refresh_from_db()
    assert event.state == InboundState.PROCESSED
    assert event.outcome == "created"


def test_cancel_webhook_cancels_order(client, connection, make_product):
    product = make_product("SW-TEST-1", on_hand=5)
    post_hook(client, fixture_bytes("checkout.order.placed"), KNOWN_GOOD_SIGNATURE)
    cancel_body = fixture_bytes("state_enter.order.state.cancelled")
    post_hook(client, cancel_body, webhooks.signature(cancel_body, DEFAULT_SHOP_SECRET))

    for event in InboundEvent.objects.order_by("pk"):
        process_inbound_event(event.pk)

    order = Order.objects.get()
    assert order.status == "cancelled"
    assert product.stock_levels.get().reserved == 0


def _event_for(client, order_changes=None, line_changes=None):
    document = json.loads(fixture_bytes("checkout.order.placed"))
    document["data"]["payload"]["order"].update(order_changes or {})
    document["data"]["payload"]["order"]["lineItems"][0].update(line_changes or {})
    body = json.dumps(document).encode()
    post_hook(client, body, webhooks.signature(body, DEFAULT_SHOP_SECRET))
    return InboundEvent.objects.get()


@pytest.mark.parametrize(
    ("order_changes", "line_changes", "expected_text"),
    [
        ({}, {"payload": {"productNumber": "NO-SUCH-SKU"}}, "SKU NO-SUCH-SKU is not in the catalog"),
        ({"currency": {"isoCode": "USD"}}, {}, "does not sell in USD"),
        ({"amountTotal": 30.0}, {}, "Order total gross is 30.0"),
        ({"lineItems": "broken"}, {}, "Shopware sent the order without its lines."),
    ],
    ids=["unknown_sku", "wrong_currency", "bad_totals", "malformed_lines"],
)
def test_bad_order_is_kept_with_sync_error(client, sandbox, connection, make_product, order_changes, line_changes, expected_text):
    make_product("SW-TEST-1", on_hand=5)
    if order_changes.get("lineItems") == "broken":
        order_changes, line_changes = {}, {}
        document = json.loads(fixture_bytes("checkout.order.placed"))
        del document["data"]["payload"]["order"]["lineItems"]
        body = json.dumps(document).encode()
        post_hook(client, body, webhooks.signature(body, DEFAULT_SHOP_SECRET))
        event = InboundEvent.objects.get()
    else:
        event = _event_for(client, order_changes, line_changes)

    process_inbound_event(event.pk)

    event.refresh_from_db()
    assert event.state == InboundState.FAILED
    assert Order.objects.count() == 0
    error = SyncError.objects.get(inbound_event=event)
    assert error.code == "order_invalid"
    assert "10042" in error.message
    assert expected_text in error.message


def test_conflicting_cancel_resends_stock_to_shop(client, connection, make_product, django_capture_on_commit_callbacks):
    from catalog.models import Product
    from integrations.models import (
        Binding,
        Conflict,
        Connection,
        LeadingSystemRule,
        OutboundMessage,
    )
    from integrations.services.bindings import bind

    # The ERP leads order status, so the shop's cancellation is a conflict, not a cancel.
    erp = Connection.objects.create(kind="odoo", name="Odoo", slug="odoo")
    LeadingSystemRule.objects.create(domain="orders", field_group="status", connection=erp)
    product = make_product("SW-TEST-1", on_hand=5)
    post_hook(client, fixture_bytes("checkout.order.placed"), KNOWN_GOOD_SIGNATURE)
    process_inbound_event(InboundEvent.objects.get().pk)
    # The shop already has Kontor's figure after the order.
    binding = bind(connection, product, "sw-product-1")
    Binding.objects.filter(pk=binding.pk).update(pushed_fingerprint="last-push")
    OutboundMessage.objects.all().delete()

    cancel_body = fixture_bytes("state_enter.order.state.cancelled")
    post_hook(client, cancel_body, webhooks.signature(cancel_body, DEFAULT_SHOP_SECRET))
    cancel_event = InboundEvent.objects.order_by("-pk").first()
    with django_capture_on_commit_callbacks(execute=False):
        process_inbound_event(cancel_event.pk)

    order = Order.objects.get()
    assert order.status != "cancelled"
    conflict = Conflict.objects.get(object_id=str(order.pk))
    assert (conflict.field, conflict.incoming_value, conflict.inbound_event_id) == ("status", "cancelled", cancel_event.pk)
    assert product.stock_levels.get().reserved == 2
    message = OutboundMessage.objects.get(connection=connection, entity="stock")
    assert message.object_id == str(Product.objects.get(sku="SW-TEST-1").pk)
    assert message.payload["channels"]["shopware-de"] == "3"
    assert Binding.objects.get(pk=binding.pk).pushed_fingerprint == ""
    # The order is flagged for the merchant, with the note in each language.
    assert order.needs_attention is True
    assert order.attention_note_translations["en"].startswith(
        "Cancelled in Shopware DE, but Odoo leads the order status, so Kontor did not cancel the order"
    )
    assert order.attention_note_translations["de"].startswith("In Shopware DE storniert, aber Odoo führt den Bestellstatus")
    # It names the admin action as the German admin shows it.
    assert order.attention_note_translations["de"].endswith("führen Sie „Als erledigt markieren“ aus.")
    assert order.attention_note_translations["en"].endswith('run "Mark resolved".')
