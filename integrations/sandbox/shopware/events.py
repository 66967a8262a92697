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


def emit(event, payload, *, shop=None, faults=None):
    """Send `event` to every app webhook subscribed to it; return the deliveries.

    `shop` is the shop's settings() and `faults` its webhook fault settings when the caller has
    read them already, such as once for a block of orders.
    """
    shop = shop or settings()
    targets = [webhook for webhook in shop["webhooks"] if webhook["eventName"] == event]
    deliveries = []
    for webhook in targets:
        body = build_body(event, payload, shop)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(body, shop["shopSecret"]),
            "sw-version": SHOPWARE_VERSION,
            "sw-context-language": DEFAULT_LANGUAGE_ID,
            "sw-user-language": "en-GB",
        }
        deliveries.extend(webhooks.send_webhook(SYSTEM, event, webhook["url"], body, headers, faults=faults))
    return deliveries


def written_payload(entity, record_id, operation, updated_fields):
    """Return the payload of an entity-written event (`order.written`)."""
    return [{"entity": entity, "operation": operation, "primaryKey": record_id, "updatedFields": list(updated_fields), "versionId": None}]
