"""Shopware app webhooks: signature check on the raw body, then parsing into inbox items.

Shopware signs the raw body: header `shopware-shop-signature` is the hex HMAC-SHA256 of the
body, keyed with the per-shop secret the app got at registration. Nothing else is signed, so
the body is checked byte for byte before it is parsed, and replays are dropped by the inbox's
dedup key (order id and its version).

Order business events (checkout.order.placed, state_enter.order.*, state_enter.order_delivery.*,
state_enter.order_transaction.*) carry the whole order; `order.written` carries only ids, so its
item asks processing to read the order from the shop first.
"""

import hashlib
import hmac
import json

from django.utils.dateparse import parse_datetime

from integrations.registry import InboundItem, WebhookMalformed, WebhookRejected

SIGNATURE_HEADER = "shopware-shop-signature"
ORDER_EVENT_PREFIXES = ("checkout.order.placed", "state_enter.order.", "state_enter.order_delivery.", "state_enter.order_transaction.")


def signature(body, secret):
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body, headers, secrets):
    """Raise WebhookRejected unless the signature matches the body under one of `secrets`."""
    received = (headers.get(SIGNATURE_HEADER) or "").strip().lower()
    if not received:
        raise WebhookRejected(f"header {SIGNATURE_HEADER} is missing")
    active = [secret for secret in secrets if secret]
    if not active:
        raise WebhookRejected("the connection has no shop secret to check the signature with")
    # Every secret is compared, so the time taken does not tell which one matched.
    matches = [hmac.compare_digest(signature(body, secret), received) for secret in active]
    if not any(matches):
        raise WebhookRejected("signature does not match the body")


def order_version(order):
    return str(order.get("updatedAt") or order.get("createdAt") or "")


def order_item(order, event):
    """Return the inbox item of a full Shopware order; the dedup key is its id and version."""
    changed = parse_datetime(order_version(order)) if order_version(order) else None
    return InboundItem(
        entity="orders",
        external_id=str(order["id"]),
        dedup_key=f"order:{order['id']}:{order_version(order)}",
        payload=order,
        occurred_at=changed,
        version=order_version(order),
        event_type=event,
    )


def parse(body):
    """Return the inbox items of a verified body; raise WebhookMalformed for a bad one."""
    try:
        document = json.loads(body)
    except ValueError:
        raise WebhookMalformed("The body is not valid JSON.") from None
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("event"), str):
        raise WebhookMalformed("The body has no data.event; expected a Shopware app webhook.")
    event, payload = data["event"], data.get("payload")
    source = document.get("source") or {}

    if event.startswith(ORDER_EVENT_PREFIXES):
        order = payload.get("order") if isinstance(payload, dict) else None
        if not isinstance(order, dict) or not order.get("id"):
            raise WebhookMalformed(f"Event {event} has no payload.order with an id.")
        return [order_item(order, event)]

    if event == "order.written":
        if not isinstance(payload, list):
            raise WebhookMalformed("Event order.written has no payload list.")
        items = []
        for write in payload:
            if isinstance(write, dict) and write.get("entity") == "order" and write.get("primaryKey"):
                key = str(write["primaryKey"])
                items.append(InboundItem(
                    entity="orders", external_id=key, dedup_key=f"order.written:{source.get('eventId', '')}:{key}",
                    payload={"fetch": True, "id": key, "operation": write.get("operation")}, event_type=event,
                ))
        return items
    return []
