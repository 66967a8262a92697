"""Control endpoints shared by every simulated system: faults and webhook deliveries.

They are for operators, demos and tests, not part of any simulated contract, so their paths
start with an underscore: /sandbox/<system>/_faults and /sandbox/<system>/_webhooks.
"""

import json

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from integrations.sandbox import faults, webhooks
from integrations.sandbox.models import SandboxWebhookDelivery

RECENT_DELIVERIES = 50


def _json_body(request):
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


@csrf_exempt
@require_http_methods(["GET", "PUT", "PATCH", "POST", "DELETE"])
def faults_endpoint(request, system):
    """GET the fault settings of a system, PUT/PATCH/POST some fields as JSON, DELETE to switch all off."""
    if request.method == "GET":
        return JsonResponse(faults.as_dict(faults.settings_for(system)))
    if request.method == "DELETE":
        return JsonResponse(faults.as_dict(faults.reset_faults(system)))

    values = _json_body(request)
    if values is None:
        return JsonResponse({"error": "The body must be a JSON object of fault settings."}, status=400)
    try:
        stored = faults.update_faults(system, values)
    except ValueError as error:
        return JsonResponse({"error": str(error)}, status=400)
    except ValidationError as error:
        fields = error.message_dict
        # No setting applies to a system that is not simulated, so its message is the whole error.
        summary = fields["system"][0] if "system" in fields else "Invalid fault settings."
        return JsonResponse({"error": summary, "fields": fields}, status=400)
    return JsonResponse(faults.as_dict(stored))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhooks_endpoint(request, system):
    """GET the latest webhook deliveries of a system; POST {"flush": true} sends the held ones."""
    if request.method == "POST":
        body = _json_body(request) or {}
        flushed = webhooks.flush_held(system) if body.get("flush") else 0
        return JsonResponse({"flushed": flushed})

    deliveries = SandboxWebhookDelivery.objects.filter(system=system)[:RECENT_DELIVERIES]
    return JsonResponse(
        {
            "data": [
                {
                    "id": delivery.pk,
                    "event": delivery.event,
                    "url": delivery.url,
                    "state": delivery.state,
                    "statusCode": delivery.status_code,
                    "attempts": delivery.attempts,
                    "createdAt": delivery.created_at.isoformat(),
                }
                for delivery in deliveries
            ]
        }
    )
