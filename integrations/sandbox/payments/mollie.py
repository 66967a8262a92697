"""Simulated Mollie Payments API v2: create and fetch payments, refunds, and the id-only webhook.

Control: POST /sandbox/payments/mollie/_payments/{id}/status with {"status": "paid"} changes a
payment and pings its webhookUrl with `id=tr_…`, as Mollie does.
"""

import uuid
from decimal import Decimal, InvalidOperation

from django.http import JsonResponse
from django.utils import timezone

from integrations.sandbox import store, webhooks
from integrations.sandbox.payments.common import SYSTEM, error, json_body

STATUSES = ("open", "pending", "authorized", "paid", "canceled", "expired", "failed")


def _authorized(request):
    return request.headers.get("Authorization", "").startswith("Bearer test_")


def _problem(status, title, detail):
    return JsonResponse({"status": status, "title": title, "detail": detail}, status=status, content_type="application/hal+json")


def payments(request):
    """POST /v2/payments: create a payment in status open."""
    if not _authorized(request):
        return _problem(401, "Unauthorized Request", "Missing authentication, or failed to authenticate")
    body = json_body(request) or {}
    amount = body.get("amount") or {}
    try:
        Decimal(str(amount["value"]))
    except (KeyError, InvalidOperation):
        return _problem(422, "Unprocessable Entity", "The amount is invalid")
    payment_id = f"tr_{uuid.uuid4().hex[:10]}"
    payment = {
        "resource": "payment", "id": payment_id, "mode": "test", "createdAt": timezone.now().isoformat(),
        "amount": amount, "description": body.get("description", ""), "method": body.get("method"),
        "metadata": body.get("metadata"), "status": "open", "webhookUrl": body.get("webhookUrl", ""),
        "_embedded": {"refunds": [], "chargebacks": []},
    }
    store.put(SYSTEM, "mollie_payments", payment_id, payment)
    return JsonResponse(payment, status=201)


def payment_detail(request, payment_id):
    """GET /v2/payments/{id}; embed=refunds,chargebacks keeps the embedded lists."""
    if not _authorized(request):
        return _problem(401, "Unauthorized Request", "Missing authentication, or failed to authenticate")
    payment = store.get(SYSTEM, "mollie_payments", payment_id)
    if payment is None:
        return _problem(404, "Not Found", f"No payment exists with token {payment_id}.")
    embeds = set(request.GET.get("embed", "").split(","))
    payment["_embedded"] = {key: value for key, value in payment.get("_embedded", {}).items() if key in embeds}
    return JsonResponse(payment)


def refunds(request, payment_id):
    """POST /v2/payments/{id}/refunds: refund at once and ping the webhook."""
    if not _authorized(request):
        return _problem(401, "Unauthorized Request", "Missing authentication, or failed to authenticate")
    payment = store.get(SYSTEM, "mollie_payments", payment_id)
    if payment is None:
        return _problem(404, "Not Found", f"No payment exists with token {payment_id}.")
    amount = (json_body(request) or {}).get("amount") or payment["amount"]
    refund = {"resource": "refund", "id": f"re_{uuid.uuid4().hex[:10]}", "amount": amount, "status": "refunded", "paymentId": payment_id}
    payment.setdefault("_embedded", {}).setdefault("refunds", []).append(refund)
    refunded = sum((Decimal(item["amount"]["value"]) for item in payment["_embedded"]["refunds"]), Decimal(0))
    payment["amountRefunded"] = {"currency": payment["amount"]["currency"], "value": str(refunded)}
    store.put(SYSTEM, "mollie_payments", payment_id, payment)
    _ping(payment)
    return JsonResponse(refund, status=201)


def set_status(request, payment_id):
    """Control: change a payment's status and ping its webhook URL."""
    payment = store.get(SYSTEM, "mollie_payments", payment_id)
    status = (json_body(request) or {}).get("status")
    if payment is None:
        return error(404, f"No payment {payment_id}.")
    if status not in STATUSES:
        return error(400, f"status must be one of {list(STATUSES)}.")
    payment["status"] = status
    if status == "paid":
        payment["paidAt"] = timezone.now().isoformat()
        payment["amountCaptured"] = payment["amount"]
    store.put(SYSTEM, "mollie_payments", payment_id, payment)
    deliveries = _ping(payment)
    return JsonResponse({"id": payment_id, "status": status, "deliveries": [d.state for d in deliveries]})


def _ping(payment):
    if not payment.get("webhookUrl"):
        return []
    body = f"id={payment['id']}".encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return webhooks.send_webhook(SYSTEM, "mollie.payment", payment["webhookUrl"], body, headers)
