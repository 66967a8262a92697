"""A guard for the sandbox's control endpoints (/sandbox/<system>/_faults, _control, _events ...).

The control endpoints take no credentials and no CSRF token, so scripts and tests can drive the
simulated systems. A web page on another site could still make the merchant's browser POST to
them, because a browser sends a cross-site POST with a form or text/plain body at once. For a
JSON body it sends a CORS preflight first, which the sandbox never grants, so the control
endpoints take only JSON.
"""

import logging
import re

from django.http import JsonResponse

logger = logging.getLogger(__name__)

# A path segment that starts with "_", except Shopware's own Admin API route api/_action/...
CONTROL_PATH = re.compile(r"^/sandbox/.*/_(?!action/)[a-z]")


class SandboxControlGuard:
    """Reject a POST to a sandbox control endpoint whose body is not JSON."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and CONTROL_PATH.match(request.path) and request.content_type != "application/json":
            logger.warning(
                "sandbox control request rejected",
                extra={"path": request.path, "content_type": request.content_type, "origin": request.headers.get("Origin", "")},
            )
            return JsonResponse(
                {
                    "error": "unsupported_media_type",
                    "message": (
                        f"Sandbox control requests take a JSON body, got {request.content_type or 'none'}. "
                        "Send the request with Content-Type: application/json."
                    ),
                },
                status=415,
            )
        return self.get_response(request)
