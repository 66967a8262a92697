"""The generic webhook endpoint through Django's request stack.

Under config.wsgi the lean intake (integrations.intake) handles these requests before Django
receives them. This view handles requests from the test client and from any deployment that
mounts Django's handler directly. Both call the same service.
"""

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations.services.webhooks import accept_webhook, max_body_bytes


@csrf_exempt
@require_POST
def receive_webhook(request, slug, entity=None):
    """Verify, store and queue a provider's webhook, then respond at once (see accept_webhook)."""

    def read_body():
        try:
            declared_length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared_length = 0
        if declared_length > max_body_bytes():
            return None
        try:
            body = request.body
        except RequestDataTooBig:
            return None
        return body if len(body) <= max_body_bytes() else None

    response = accept_webhook(slug, entity, read_body, request.headers)
    return JsonResponse(response.body, status=response.status)
