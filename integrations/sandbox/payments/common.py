import json

from django.http import JsonResponse

SYSTEM = "payments"


def json_body(request):
    """Return the request's JSON object, or None when the body is not one."""
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def error(status, message):
    return JsonResponse({"error": message}, status=status)
