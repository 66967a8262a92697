"""Simulated PayPal: OAuth2 token, webhook events with transmission headers, and the
verify-webhook-signature postback.

PayPal signs with its RSA key. The sandbox replaces that key with an HMAC over
"{transmission id}|{transmission time}|{webhook id}|{CRC32 of the body}" (the string PayPal
signs) and remembers each transmission, so the postback returns SUCCESS only for a delivery it
sent, with the same webhook id and the same event.

Control: POST /sandbox/payments/paypal/_events with {"url", "webhook_id", "type"
("PAYMENT.CAPTURE.COMPLETED" or "PAYMENT.CAPTURE.REFUNDED"), "order_number", "amount", "currency",
"capture_id"?, "refund_amount"?}.
"""

import base64
import hashlib
import hmac
import json
import uuid
import zlib

from django.http import JsonResponse
from django.utils import timezone

from integrations.sandbox import store, webhooks
from integrations.sandbox.payments.common import SYSTEM, error, json_body

SANDBOX_SIGNING_KEY = b"kontor-sandbox-paypal"
CERT_URL = "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-kontor-sandbox"


def token(request):
    if not request.headers.get("Authorization", "").startswith("Basic "):
        return JsonResponse({"error": "invalid_client", "error_description": "Client Authentication failed"}, status=401)
    return JsonResponse({"scope": "https://uri.paypal.com/services/applications/webhooks", "access_token": f"A21AA{uuid.uuid4().hex}",
                         "token_type": "Bearer", "app_id": "APP-SANDBOX", "expires_in": 32400})


def _signature(transmission_id, transmission_time, webhook_id, body):
    signed = f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(body)}".encode()
    return base64.b64encode(hmac.new(SANDBOX_SIGNING_KEY, signed, hashlib.sha256).digest()).decode()


def _resource(spec, capture_id):
    money = {"currency_code": spec["currency"], "value": str(spec["amount"])}
    if spec["type"] == "PAYMENT.CAPTURE.COMPLETED":
        return "capture", {"id": capture_id, "status": "COMPLETED", "amount": money, "custom_id": spec["order_number"], "final_capture": True}
    refund = {"currency_code": spec["currency"], "value": str(spec.get("refund_amount") or spec["amount"])}
    return "refund", {
        "id": uuid.uuid4().hex[:17].upper(), "status": "COMPLETED", "amount": refund, "custom_id": spec["order_number"],
        "seller_payable_breakdown": {"total_refunded_amount": refund},
        "links": [{"href": f"https://api-m.sandbox.paypal.com/v2/payments/captures/{capture_id}", "rel": "up", "method": "GET"}],
    }


def send_event(request):
    spec = json_body(request)
    if spec is None or spec.get("type") not in ("PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.REFUNDED"):
        return error(400, "Send a JSON object with type PAYMENT.CAPTURE.COMPLETED or PAYMENT.CAPTURE.REFUNDED.")
    missing = [name for name in ("url", "webhook_id", "order_number", "amount", "currency") if name not in spec]
    if missing:
        return error(400, f"Missing fields: {missing}.")
    capture_id = spec.get("capture_id") or uuid.uuid4().hex[:17].upper()
    resource_type, resource = _resource(spec, capture_id)
    event = {
        "id": f"WH-{uuid.uuid4().hex[:24].upper()}", "event_version": "1.0", "create_time": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "resource_type": resource_type, "resource_version": "2.0", "event_type": spec["type"], "summary": spec["type"], "resource": resource,
    }
    body = json.dumps(event).encode()
    transmission_id = str(uuid.uuid4())
    transmission_time = timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    signature = _signature(transmission_id, transmission_time, spec["webhook_id"], body)
    store.put(SYSTEM, "paypal_transmissions", transmission_id, {"signature": signature, "webhook_id": spec["webhook_id"], "event": event})
    headers = {
        "Content-Type": "application/json", "PAYPAL-AUTH-ALGO": "SHA256withRSA", "PAYPAL-CERT-URL": CERT_URL,
        "PAYPAL-TRANSMISSION-ID": transmission_id, "PAYPAL-TRANSMISSION-SIG": signature, "PAYPAL-TRANSMISSION-TIME": transmission_time,
    }
    deliveries = webhooks.send_webhook(SYSTEM, spec["type"], spec["url"], body, headers)
    return JsonResponse({"event": event["id"], "capture_id": capture_id, "deliveries": [d.state for d in deliveries]})


def verify_webhook_signature(request):
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        return JsonResponse({"name": "AUTHENTICATION_FAILURE"}, status=401)
    body = json_body(request) or {}
    sent = store.get(SYSTEM, "paypal_transmissions", str(body.get("transmission_id", "")))
    genuine = (
        sent is not None
        and hmac.compare_digest(sent["signature"], str(body.get("transmission_sig", "")))
        and sent["webhook_id"] == body.get("webhook_id")
        and sent["event"] == body.get("webhook_event")
    )
    return JsonResponse({"verification_status": "SUCCESS" if genuine else "FAILURE"})
