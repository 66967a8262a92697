"""Sendcloud webhook intake (https://sendcloud.dev/api/v2/webhooks).

`Sendcloud-Signature` is the hex HMAC-SHA256 of the raw body, keyed with the integration's
webhook signature key, or its secret API key where no separate key is configured. No
timestamp is signed, so a replayed delivery is caught by the inbox's dedup key instead.
"""

import hashlib
import hmac
import json
from datetime import UTC, datetime

from integrations.registry import InboundItem, WebhookMalformed, WebhookRejected

SIGNATURE_HEADER = "Sendcloud-Signature"

# Parcel fields the mapper reads; names, addresses, e-mail and phone stay out of the inbox.
KEPT_PARCEL_FIELDS = (
    "id", "tracking_number", "tracking_url", "status", "order_number", "external_order_id",
    "external_shipment_id", "external_reference", "shipment", "carrier", "date_updated",
)


def compute_signature(key, body):
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def signing_key_of(connection):
    credentials = connection.credentials
    return credentials.get("webhook_signature_key") or credentials.get("secret_key", "")


def verify_signature(body, signature, key):
    if not signature:
        raise WebhookRejected("Sendcloud-Signature header is missing")
    if not key:
        raise WebhookRejected("the connection has no Sendcloud secret key")
    if not hmac.compare_digest(compute_signature(key, body), signature.strip().lower()):
        raise WebhookRejected("Sendcloud-Signature does not match")


def parse_payload(body):
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise WebhookMalformed("the body is not JSON") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("action"), str):
        raise WebhookMalformed("the body has no Sendcloud action")
    return payload


def _epoch_ms(value):
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def inbound_items(payload):
    """Return the inbox item of a parcel_status_changed delivery; other actions are acknowledged and dropped."""
    if payload["action"] != "parcel_status_changed":
        return []
    parcel = payload.get("parcel")
    if not isinstance(parcel, dict) or not parcel.get("id") or not isinstance(parcel.get("status"), dict):
        raise WebhookMalformed("the parcel_status_changed body has no parcel with id and status")

    changed_at = payload.get("carrier_status_change_timestamp") or payload.get("timestamp")
    occurred_at = _epoch_ms(changed_at)
    if occurred_at is None:
        raise WebhookMalformed("the body has no millisecond timestamp")
    return [
        InboundItem(
            entity="shipments",
            external_id=str(parcel["id"]),
            # Sendcloud documents no delivery id; parcel, status and change time identify the event.
            dedup_key=f"sendcloud:{parcel['id']}:{parcel['status'].get('id')}:{changed_at}",
            payload={
                "action": payload["action"],
                "timestamp": payload.get("timestamp"),
                "carrier_status_change_timestamp": changed_at,
                "parcel": {key: parcel[key] for key in KEPT_PARCEL_FIELDS if key in parcel},
            },
            occurred_at=occurred_at,
            event_type=f"parcel_status_changed:{parcel['status'].get('id')}",
        )
    ]
