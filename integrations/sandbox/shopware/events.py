"""App webhooks of the simulated shop: payload, signature and dispatch to subscribed URLs.

Shopware posts `{"data": {"payload": ..., "event": ...}, "source": {...}, "timestamp": ...}`
and signs the raw body: header `shopware-shop-signature` is the hex HMAC-SHA256 of the body,
keyed with the per-shop secret from app registration. No timestamp is signed.
"""

import hashlib
import hmac
import json
import time

from integrations.sandbox import webhooks
from integrations.sandbox.shopware.state import (
    DEFAULT_LANGUAGE_ID,
    SHOPWARE_VERSION,
    SYSTEM,
    new_id,
    settings,
)

SIGNATURE_HEADER = "shopware-shop-signature"


def sign(body, secret):
    """Return the hex HMAC-SHA256 of the raw body, keyed with the shop secret."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def build_body(event, payload, shop):
    document = {
        "data": {"payload": payload, "event": event},
        "source": {"url": shop["shopUrl"], "appVersion": shop["appVersion"], "shopId": shop["shopId"], "eventId": new_id()},
        "timestamp": int(time.time()),
    }
    return json.dumps(document, separators=(",", ":")).encode()


def emit(event, payload, *, shop=None):
    """Send `event` to every app webhook subscribed to it; return the deliveries.

    `shop` is the shop's settings() when the caller has read them already.
    """
    return emit_many([(event, payload)], shop=shop)


def emit_many(events, *, shop=None, faults=None):
    """Send each (event, payload) to every app webhook subscribed to it, in order; return the deliveries.

    Each event and subscribed URL is its own signed POST, as Shopware sends them. `faults` is
    the shop's webhook fault settings when the caller has read them already.
    """
    shop = shop or settings()
    outgoing = []
    for event, payload in events:
        for webhook in shop["webhooks"]:
            if webhook["eventName"] != event:
                continue
            body = build_body(event, payload, shop)
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(body, shop["shopSecret"]),
                "sw-version": SHOPWARE_VERSION,
                "sw-context-language": DEFAULT_LANGUAGE_ID,
                "sw-user-language": "en-GB",
            }
            outgoing.append((event, webhook["url"], body, headers))
    if not outgoing:
        return []
    return webhooks.send_webhooks(SYSTEM, outgoing, faults=faults)


def written_payload(entity, record_id, operation, updated_fields):
    """Return the payload of an entity-written event (`order.written`)."""
    return [{"entity": entity, "operation": operation, "primaryKey": record_id, "updatedFields": list(updated_fields), "versionId": None}]
