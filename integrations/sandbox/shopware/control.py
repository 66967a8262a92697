"""Control endpoints of the simulated shop, outside the Admin API contract.

/sandbox/shopware/_control  GET the shop settings (secrets masked), POST some of them as JSON:
                            accessKey, secretAccessKey, tokenLifetime, shopSecret, webhooks
                            (the app manifest's [{"name", "eventName", "url"}]), or
                            {"revokeTokens": true} to invalidate every issued token.
/sandbox/shopware/_orders   GET the order stream's position and counts, POST {"count": n} to
                            replay the next n invoices at once.
"""

import json

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from integrations.sandbox import orderstream
from integrations.sandbox.shopware import auth, state, stream

MAX_ORDERS_PER_CALL = 10_000


def _masked(settings):
    return {
        **settings,
        "secretAccessKey": settings["secretAccessKey"][:4] + "…",
        "shopSecret": settings["shopSecret"][:4] + "…",
    }


def _body(request):
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


@csrf_exempt
@require_http_methods(["GET", "POST"])
def control(request):
    if request.method == "GET":
        return JsonResponse(_masked(state.settings()))
    body = _body(request)
    if body is None:
        return JsonResponse({"error": "The body must be a JSON object."}, status=400)
    revoked = auth.revoke_tokens() if body.pop("revokeTokens", False) else 0
    try:
        settings = state.update_settings(body) if body else state.settings()
    except ValueError as error:
        return JsonResponse({"error": str(error)}, status=400)
    return JsonResponse({**_masked(settings), "revokedTokens": revoked})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def orders(request):
    if request.method == "GET":
        return JsonResponse(orderstream.stream_status(state.SYSTEM))
    body = _body(request)
    count = body.get("count") if body else None
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_ORDERS_PER_CALL:
        return JsonResponse({"error": f"count must be an integer from 1 to {MAX_ORDERS_PER_CALL}, got {count!r}."}, status=400)
    return JsonResponse(stream.place_orders(count))
