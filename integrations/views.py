"""The generic webhook endpoint through Django's request stack.

Under config.wsgi the lean intake (integrations.intake) handles these requests before Django
receives them. This view handles requests from the test client and from any deployment that
mounts Django's handler directly. Both call the same service.
"""

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations.services.webhooks import accept_webhook, max_body_bytes

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def receive_webhook(request, slug, entity=None):
    """Verify, store and queue a provider's webhook, then respond at once (see accept_webhook)."""
    content_length = request.META.get("CONTENT_LENGTH") or "0"
    if not (content_length.isascii() and content_length.isdigit()):
        # Django cannot read a body of unknown length, and the sender's request is at fault.
        logger.warning("webhook with invalid Content-Length", extra={"slug": slug, "content_length": content_length[:50]})
        message = f"The Content-Length header {content_length[:50]!r} is not a number of bytes."
        return JsonResponse({"error": "invalid_content_length", "message": message}, status=400)
    declared_length = int(content_length)

    def read_body():
        if declared_length > max_body_bytes():
            return None
        try:
            body = request.body
        except RequestDataTooBig:
            return None
        return body if len(body) <= max_body_bytes() else None

    response = accept_webhook(slug, entity, read_body, request.headers)
    return JsonResponse(response.body, status=response.status)
