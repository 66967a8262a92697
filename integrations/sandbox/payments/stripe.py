"""Simulated Stripe: signed event webhooks (`Stripe-Signature`) and `GET /v1/disputes/{id}`.

Control: POST /sandbox/payments/stripe/_events with {"url", "secret", "type", "order_number",
"amount" (minor units), "currency", "payment_intent"?, "refund_amount"?} sends one event.
"""

import hashlib
import hmac
import json
import time
import uuid

from django.http import JsonResponse

from integrations.sandbox import store, webhooks
from integrations.sandbox.payments.common import SYSTEM, error, json_body

EVENT_TYPES = (
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "charge.refunded",
    "refund.created",
    "charge.dispute.created",
)


def signature_header(secret, body):
    """Sign as Stripe does: hex HMAC-SHA256 of "{t}.{body}", sent as `t=…,v1=…`."""
    timestamp = int(time.time())
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


def _object(event_type, spec):
    """Build the event's data.object in the API's shape for the simulated payment intent."""
    intent_id = spec["payment_intent"]
    amount = int(spec["amount"])
    currency = spec["currency"].lower()
    metadata = {"order_number": spec["order_number"]}
    if event_type.startswith("payment_intent."):
        status = {"payment_intent.succeeded": "succeeded", "payment_intent.canceled": "canceled"}.get(event_type, "requires_payment_method")
        return {
            "id": intent_id, "object": "payment_intent", "amount": amount, "currency": currency, "metadata": metadata,
            "status": status, "amount_received": amount if status == "succeeded" else 0,
        }
    refund_amount = int(spec.get("refund_amount") or amount)
    if event_type == "charge.refunded":
        return {
            "id": f"ch_{intent_id[3:]}", "object": "charge", "amount": amount, "amount_captured": amount, "captured": True,
            "amount_refunded": refund_amount, "currency": currency, "payment_intent": intent_id, "metadata": metadata,
            "status": "succeeded",
        }
    if event_type == "refund.created":
        return {
            "id": f"re_{uuid.uuid4().hex[:24]}", "object": "refund", "amount": refund_amount, "currency": currency,
            "payment_intent": intent_id, "charge": f"ch_{intent_id[3:]}", "status": "succeeded",
        }
    dispute = {
        "id": f"dp_{intent_id[3:]}", "object": "dispute", "amount": amount, "currency": currency,
        "payment_intent": intent_id, "charge": f"ch_{intent_id[3:]}", "status": "needs_response", "reason": "fraudulent",
    }
    store.put(SYSTEM, "stripe_disputes", dispute["id"], dispute)
    return dispute


def send_event(request):
    spec = json_body(request)
    if spec is None or spec.get("type") not in EVENT_TYPES:
        return error(400, f"Send a JSON object with type one of {list(EVENT_TYPES)}, url, secret, order_number, amount, currency.")
    missing = [name for name in ("url", "secret", "order_number", "amount", "currency") if name not in spec]
    if missing:
        return error(400, f"Missing fields: {missing}.")
    spec.setdefault("payment_intent", f"pi_{uuid.uuid4().hex[:24]}")

    event = {
        "id": f"evt_{uuid.uuid4().hex[:24]}", "object": "event", "api_version": "2024-06-20", "created": int(time.time()),
        "livemode": False, "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None},
        "type": spec["type"], "data": {"object": _object(spec["type"], spec)},
    }
    body = json.dumps(event).encode()
    headers = {"Content-Type": "application/json", "Stripe-Signature": signature_header(spec["secret"], body)}
    deliveries = webhooks.send_webhook(SYSTEM, spec["type"], spec["url"], body, headers)
    return JsonResponse({"event": event["id"], "payment_intent": spec["payment_intent"], "deliveries": [d.state for d in deliveries]})


def get_dispute(request, dispute_id):
    dispute = store.get(SYSTEM, "stripe_disputes", dispute_id)
    if dispute is None:
        return JsonResponse({"error": {"type": "invalid_request_error", "code": "resource_missing"}}, status=404)
    return JsonResponse(dispute)


def update_dispute(request, dispute_id):
    """Control: POST {"status": "won"} to close a simulated dispute."""
    dispute = store.get(SYSTEM, "stripe_disputes", dispute_id)
    body = json_body(request) or {}
    if dispute is None:
        return error(404, f"No dispute {dispute_id}.")
    dispute["status"] = str(body.get("status", dispute["status"]))
    store.put(SYSTEM, "stripe_disputes", dispute_id, dispute)
    return JsonResponse(dispute)
