"""Simulated DHL Parcel DE Shipping API v2 (`POST /orders`) and unified tracking (`GET /track/shipments`).

Control: POST /sandbox/shipping/dhl/_shipments/{shipmentNo}/events with {"statusCode":
"transit" | "delivered" | "failure", "status"?, "description"?} adds a tracking event.
"""

import base64

from django.http import JsonResponse
from django.utils import timezone

from integrations.sandbox import store
from integrations.sandbox.shipping.common import SYSTEM, error, json_body, specimen_label

MAX_SHIPMENTS = 30


def _authorized(request):
    return bool(request.headers.get("dhl-api-key"))


def create_orders(request):
    if not _authorized(request) or not request.headers.get("Authorization", "").startswith("Basic "):
        return JsonResponse({"status": 401, "title": "Unauthorized", "detail": "Missing dhl-api-key or credentials"}, status=401)
    body = json_body(request) or {}
    shipments = body.get("shipments") or []
    if not shipments or len(shipments) > MAX_SHIPMENTS:
        return JsonResponse({"status": {"title": "Bad Request", "statusCode": 400, "detail": f"Send 1 to {MAX_SHIPMENTS} shipments."}}, status=400)

    items = [_create_item(shipment) for shipment in shipments]
    failed = sum(1 for item in items if item["sstatus"]["statusCode"] != 200)
    if not failed:
        status = 200
    elif failed == len(items):
        status = 400
    else:
        status = 207
    return JsonResponse({"status": {"title": "ok" if status == 200 else "Multi-Status", "statusCode": status}, "items": items}, status=status)


def _create_item(shipment):
    consignee = shipment.get("consignee") or {}
    ref = str(shipment.get("refNo") or "")
    missing = [name for name in ("postalCode", "city", "addressStreet") if not consignee.get(name)]
    if missing or not 8 <= len(ref) <= 35:
        messages = [{"property": f"consignee.{name}", "validationMessage": "Field is required.", "validationState": "Error"} for name in missing]
        if not 8 <= len(ref) <= 35:
            messages.append({"property": "refNo", "validationMessage": "Must be 8 to 35 characters.", "validationState": "Error"})
        return {"sstatus": {"title": "Bad Request", "statusCode": 400}, "validationMessages": messages}

    number = f"00340434{store.next_number(SYSTEM, 'dhl_shipment', start=1610000000):010d}"
    store.put(SYSTEM, "dhl_shipments", number, {"refNo": ref, "events": [_event("pre-transit", "The shipment data has been received")]})
    label = base64.b64encode(specimen_label(f"DHL specimen label {number}")).decode()
    return {
        "shipmentNo": number, "sstatus": {"title": "OK", "statusCode": 200}, "shipmentRefNo": ref,
        "label": {"b64": label, "fileFormat": "PDF", "printFormat": "A4"}, "validationMessages": [],
    }


def _event(code, description, status=""):
    return {"timestamp": timezone.now().isoformat(), "statusCode": code, "status": status or code, "description": description}


def track(request):
    if not _authorized(request):
        return JsonResponse({"status": 401, "title": "Unauthorized"}, status=401)
    number = request.GET.get("trackingNumber", "")
    shipment = store.get(SYSTEM, "dhl_shipments", number)
    if shipment is None:
        return JsonResponse({"status": 404, "title": "No result found", "detail": f"No shipment with tracking number {number}."}, status=404)
    events = sorted(shipment["events"], key=lambda event: event["timestamp"], reverse=True)
    return JsonResponse({"shipments": [{"id": number, "service": "parcel-de", "status": events[0], "events": events}]})


def add_event(request, number):
    shipment = store.get(SYSTEM, "dhl_shipments", number)
    body = json_body(request) or {}
    if shipment is None:
        return error(404, f"No shipment {number}.")
    if body.get("statusCode") not in ("pre-transit", "transit", "delivered", "failure", "unknown"):
        return error(400, "statusCode must be pre-transit, transit, delivered, failure or unknown.")
    shipment["events"].append(_event(body["statusCode"], str(body.get("description", "")), str(body.get("status", ""))))
    store.put(SYSTEM, "dhl_shipments", number, shipment)
    return JsonResponse({"shipmentNo": number, "events": len(shipment["events"])})
