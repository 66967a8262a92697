"""Stripe webhook intake: the Stripe-Signature check on the raw body, and parsing into inbox items.

Signature scheme (stripe-python `stripe/_webhook.py`, https://docs.stripe.com/webhooks#verify-events):
the header is `t=<unix seconds>,v1=<hex>[,v1=<hex>...]`, each v1 is the hex HMAC-SHA256 of
"{t}.{raw body}" keyed with an endpoint secret, and `v0` entries are a legacy test-mode scheme
that is ignored. Several v1 entries and several configured secrets exist while a secret is rolled.
"""

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

from integrations.registry import InboundItem, WebhookMalformed, WebhookRejected

SIGNATURE_HEADER = "Stripe-Signature"

# stripe-python's DEFAULT_TOLERANCE: a captured delivery cannot be replayed after five minutes.
DEFAULT_TOLERANCE_SECONDS = 300

# Event types that change a payment, a refund or a dispute; every other type is acknowledged and dropped.
HANDLED_EVENT_PREFIXES = ("payment_intent.", "charge.", "refund.", "checkout.session.")

# Fields of the event object that the mapper reads. The inbox stores only these, so card details,
# billing addresses and the payment intent's client_secret never reach the database or the admin.
KEPT_OBJECT_FIELDS = (
    "id", "object", "amount", "amount_received", "amount_capturable", "amount_captured", "amount_refunded",
    "amount_total", "captured", "currency", "status", "payment_status", "payment_intent", "charge",
    "reason", "created", "refunded", "disputed", "livemode",
)

# Metadata keys that name the order; other metadata may hold personal data and is not stored.
ORDER_METADATA_KEYS = ("kontor_order_id", "order_number", "order_id", "channel")


def compute_signature(secret, timestamp, body):
    """Return the hex v1 signature Stripe sends for `body` at `timestamp`."""
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secret, body, timestamp=None):
    """Build a Stripe-Signature header value, as the sandbox and tests send it."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={compute_signature(secret, timestamp, body)}"


def parse_signature_header(header):
    """Split a Stripe-Signature header into its timestamp and its v1 signatures."""
    timestamp = None
    signatures = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise WebhookRejected("timestamp in Stripe-Signature is not an integer") from None
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None:
        raise WebhookRejected("Stripe-Signature has no timestamp")
    if not signatures:
        raise WebhookRejected("Stripe-Signature has no v1 signature")
    return timestamp, signatures


def verify_signature(body, header, secrets, *, tolerance=DEFAULT_TOLERANCE_SECONDS, now=None):
    """Raise WebhookRejected unless a v1 signature in `header` matches `body` under one of `secrets`.

    Every comparison is constant-time. The timestamp must lie within `tolerance` seconds of
    `now` in either direction, which also rejects a replay of an old delivery.
    """
    if not header:
        raise WebhookRejected("Stripe-Signature header is missing")
    if not secrets:
        raise WebhookRejected("the connection has no webhook signing secret")
    timestamp, signatures = parse_signature_header(header)

    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise WebhookRejected("Stripe-Signature timestamp is outside the tolerance")

    matched = False
    for secret in secrets:
        expected = compute_signature(secret, timestamp, body)
        for signature in signatures:
            matched |= hmac.compare_digest(expected, signature)
    if not matched:
        raise WebhookRejected("no Stripe-Signature v1 signature matches")


def secrets_of(connection):
    """Return the connection's active signing secrets; one per line or comma while a secret is rolled."""
    raw = connection.credentials.get("webhook_secrets", "")
    return [secret.strip() for secret in raw.replace(",", "\n").splitlines() if secret.strip()]


def livemode_of(connection):
    """Return True for a live key, False for a test key, None when the key shows no mode."""
    key = connection.credentials.get("api_key", "")
    if key.startswith(("sk_live_", "rk_live_")):
        return True
    if key.startswith(("sk_test_", "rk_test_")):
        return False
    return None


def parse_event(body):
    """Parse a verified body into a Stripe event dict; raise WebhookMalformed when it is not one."""
    try:
        event = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise WebhookMalformed("the body is not JSON") from None
    if not isinstance(event, dict) or event.get("object") != "event":
        raise WebhookMalformed("the body is not a Stripe event object")
    for key, kind in (("id", str), ("type", str), ("created", int), ("data", dict)):
        if not isinstance(event.get(key), kind):
            raise WebhookMalformed(f"the Stripe event has no valid {key!r}")
    if not isinstance(event["data"].get("object"), dict):
        raise WebhookMalformed("the Stripe event has no data.object")
    return event


def payment_id_of(obj):
    """Return the id that Kontor stores the payment under: the payment intent, else the charge."""
    kind = obj.get("object")
    if kind == "payment_intent":
        return obj.get("id")
    if kind in ("charge", "checkout.session"):
        return obj.get("payment_intent") or (obj.get("id") if kind == "charge" else None)
    if kind in ("refund", "dispute"):
        return obj.get("payment_intent") or obj.get("charge")
    return None


def inbound_items(event):
    """Return the inbox item of a handled event, or no items for an event Kontor does not use."""
    if not event["type"].startswith(HANDLED_EVENT_PREFIXES):
        return []
    obj = event["data"]["object"]
    payment_id = payment_id_of(obj)
    if not payment_id:
        # A checkout session without a payment intent (a subscription, say) is not a payment.
        return []
    return [
        InboundItem(
            entity="payments",
            external_id=str(payment_id),
            # Stripe resends an undelivered event under the same id.
            dedup_key=f"stripe:{event['id']}",
            payload=stored_event(event),
            occurred_at=datetime.fromtimestamp(event["created"], tz=UTC),
            event_type=event["type"],
        )
    ]


def stored_event(event):
    """Return the part of an event that the inbox keeps."""
    obj = event["data"]["object"]
    kept = {key: obj[key] for key in KEPT_OBJECT_FIELDS if key in obj}
    kept["metadata"] = {key: str(value) for key, value in (obj.get("metadata") or {}).items() if key in ORDER_METADATA_KEYS}
    refunds = obj.get("refunds")
    if isinstance(refunds, dict) and isinstance(refunds.get("data"), list):
        kept["refunds"] = [
            {key: refund.get(key) for key in ("id", "amount", "currency", "status", "reason")}
            for refund in refunds["data"]
            if isinstance(refund, dict)
        ]
    return {
        "id": event["id"],
        "type": event["type"],
        "created": event["created"],
        "livemode": event.get("livemode"),
        "api_version": event.get("api_version"),
        "data": {"object": kept},
    }
