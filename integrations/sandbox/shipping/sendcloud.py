"""Simulated Sendcloud API v2: parcels with labels, and signed parcel_status_changed webhooks.

Control: POST /sandbox/shipping/sendcloud/_parcels/{id}/status with {"status_id", "message"?,
"url", "secret"} changes a parcel's status and posts the webhook with `Sendcloud-Signature`.
"""

import hashlib
import hmac
import json
import time

from django.http import HttpResponse, JsonResponse

from integrations.sandbox import store, webhooks
from integrations.sandbox.shipping.common import SYSTEM, error, json_body, specimen_label


def _authorized(request):
    return request.headers.get("Authorization", "").startswith("Basic ")


def _unauthorized():
    return JsonResponse({"error": {"code": 401, "request": "api/v2/parcels", "message": "Invalid username/password."}}, status=401)


def parcels(request):
    """GET lists parcels (filter external_reference or order_number); POST creates one with its label."""
    if not _authorized(request):
        return _unauthorized()
    if request.method == "GET":
        found = [row.data for row in store.rows(SYSTEM, "sendcloud_parcels").order_by("id")]
        for name in ("external_reference", "order_number"):
            if request.GET.get(name):
                found = [parcel for parcel in found if parcel.get(name) == request.GET[name]]
        return JsonResponse({"parcels": found, "next": None, "previous": None})

    parcel = (json_body(request) or {}).get("parcel")
    if not isinstance(parcel, dict):
        return JsonResponse({"error": {"code": 400, "message": "parcel is required"}}, status=400)
    missing = [name for name in ("name", "address", "city", "postal_code", "country") if not parcel.get(name)]
    if missing:
        return JsonResponse({"error": {"code": 400, "message": f"These fields are required: {', '.join(missing)}"}}, status=400)

    parcel_id = store.next_number(SYSTEM, "sendcloud_parcel", start=4711000)
    tracking = f"JVGL06{parcel_id:014d}"
    stored = {
        "id": parcel_id, "order_number": parcel.get("order_number", ""), "external_reference": parcel.get("external_reference"),
        "tracking_number": tracking, "tracking_url": f"https://tracking.sendcloud.test/forward?carrier=dhl&code={tracking}",
        "status": {"id": 1000, "message": "Ready to send"}, "carrier": {"code": "dhl"},
        "shipment": {"id": (parcel.get("shipment") or {}).get("id", 8), "name": "DHL Paket"},
        "label": {"label_printer": f"/api/v2/labels/label_printer/{parcel_id}"},
    }
    store.put(SYSTEM, "sendcloud_parcels", str(parcel_id), stored)
    return JsonResponse({"parcel": stored})


def label(request, parcel_id):
    if not _authorized(request):
        return _unauthorized()
    parcel = store.get(SYSTEM, "sendcloud_parcels", str(parcel_id))
    if parcel is None:
        return JsonResponse({"error": {"code": 404, "message": "Not found."}}, status=404)
    return HttpResponse(specimen_label(f"Sendcloud specimen label {parcel['tracking_number']}"), content_type="application/pdf")


def set_status(request, parcel_id):
    parcel = store.get(SYSTEM, "sendcloud_parcels", str(parcel_id))
    body = json_body(request) or {}
    if parcel is None:
        return error(404, f"No parcel {parcel_id}.")
    if not isinstance(body.get("status_id"), int) or not body.get("url") or not body.get("secret"):
        return error(400, "Send status_id (integer), url and secret.")
    parcel["status"] = {"id": body["status_id"], "message": str(body.get("message") or body["status_id"])}
    store.put(SYSTEM, "sendcloud_parcels", str(parcel_id), parcel)

    now_ms = int(time.time() * 1000)
    payload = {"action": "parcel_status_changed", "timestamp": now_ms, "carrier_status_change_timestamp": now_ms, "parcel": parcel}
    raw = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "Sendcloud-Signature": hmac.new(body["secret"].encode(), raw, hashlib.sha256).hexdigest(),
    }
    deliveries = webhooks.send_webhook(SYSTEM, "parcel_status_changed", body["url"], raw, headers)
    return JsonResponse({"id": parcel["id"], "status": parcel["status"], "deliveries": [d.state for d in deliveries]})
