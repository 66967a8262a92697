"""PayPal webhook intake: postback verification and parsing into inbox items.

PayPal signs each delivery with its RSA key; the documented check is the postback
`POST /v1/notifications/verify-webhook-signature` with the transmission headers, the webhook id
and the parsed event, which returns `verification_status` SUCCESS or FAILURE
(`openapi/notifications_webhooks_v1.json` in paypal/paypal-rest-api-specifications). The check
runs before the event is stored, so an unverified body can never take a real event's dedup key.
"""

import json
from datetime import UTC

from django.utils.dateparse import parse_datetime

from integrations.registry import InboundItem, WebhookMalformed, WebhookRejected

TRANSMISSION_HEADERS = {
    "auth_algo": "PAYPAL-AUTH-ALGO",
    "cert_url": "PAYPAL-CERT-URL",
    "transmission_id": "PAYPAL-TRANSMISSION-ID",
    "transmission_sig": "PAYPAL-TRANSMISSION-SIG",
    "transmission_time": "PAYPAL-TRANSMISSION-TIME",
}

HANDLED_EVENT_PREFIXES = ("PAYMENT.CAPTURE.", "CUSTOMER.DISPUTE.")


def load_json(body):
    try:
        event = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return None
    return event if isinstance(event, dict) else None


def verification_request(connection, body, headers):
    """Build the verify-webhook-signature request body; raise WebhookRejected if a header is missing.

    Returns None for a body that is not JSON: it cannot be verified, and parsing rejects it with 400.
    """
    event = load_json(body)
    if event is None:
        return None
    fields = {}
    for field, header in TRANSMISSION_HEADERS.items():
        value = headers.get(header, "")
        if not value:
            raise WebhookRejected(f"{header} header is missing")
        fields[field] = value
    webhook_id = connection.credentials.get("webhook_id", "")
    if not webhook_id:
        raise WebhookRejected("the connection has no PayPal webhook id")
    return {**fields, "webhook_id": webhook_id, "webhook_event": event}


def parse_event(body):
    event = load_json(body)
    if event is None:
        raise WebhookMalformed("the body is not a JSON object")
    for key in ("id", "event_type", "resource"):
        if not event.get(key):
            raise WebhookMalformed(f"the PayPal event has no {key!r}")
    if not isinstance(event["resource"], dict):
        raise WebhookMalformed("the PayPal event resource is not an object")
    return event


def capture_id_of(event):
    """Return the capture id an event is about: the capture itself, a refund's parent or a disputed transaction."""
    resource = event["resource"]
    if event["event_type"].startswith("CUSTOMER.DISPUTE."):
        transactions = resource.get("disputed_transactions") or [{}]
        return transactions[0].get("seller_transaction_id")
    if event.get("resource_type") == "capture":
        return resource.get("id")
    for link in resource.get("links", []):
        if link.get("rel") == "up" and "/captures/" in link.get("href", ""):
            return link["href"].rstrip("/").rsplit("/", 1)[-1]
    return None


def inbound_items(event):
    if not event["event_type"].startswith(HANDLED_EVENT_PREFIXES):
        return []
    capture_id = capture_id_of(event)
    if not capture_id:
        raise WebhookMalformed(f"the {event['event_type']} event names no capture")
    occurred_at = parse_datetime(event.get("create_time") or "")
    return [
        InboundItem(
            entity="payments",
            external_id=capture_id,
            # PayPal resends a failed delivery under the same event id.
            dedup_key=f"paypal:{event['id']}",
            payload=stored_event(event),
            occurred_at=occurred_at.astimezone(UTC) if occurred_at else None,
            event_type=event["event_type"],
        )
    ]


def stored_event(event):
    """Return the event without payer details, which the mapper does not read."""
    resource = {key: value for key, value in event["resource"].items() if key not in ("payer", "payee", "shipping")}
    return {key: event.get(key) for key in ("id", "event_type", "resource_type", "create_time")} | {"resource": resource}
