"""Cached product reads served on the event loop, in front of Django behind a WSGI bridge.

Under gunicorn's threaded worker a cached product read still cost about 0.8 ms of CPU, and the
worker's queueing put the p99 at 50 connections near 40 ms (docs/benchmarks.md). Under
uvicorn's worker the HTTP handling costs much less. CachedProductReads serves the same cached
product reads as apiclients.fastpath, with the same checks and hooks, on the event loop, and
awaits its one Redis round trip instead of blocking a thread on it.

Every other request, and every read this path cannot serve, goes to `app`: Django behind
a2wsgi's bridge, which runs it in a thread pool as a threaded WSGI server would, webhook
intake included.

A request this path has counted against the throttle carries the count in its scope, so the
full stack counts it once (apiclients.fastpath.take_over).
"""

import io
import logging

from django.core.handlers.asgi import ASGIRequest
from django.middleware.security import SecurityMiddleware

from apiclients import cache as response_cache
from apiclients.fastpath import (
    HANDED_ON,
    PRODUCT_PATH,
    CachedProductMiddleware,
    counter_failed,
    read_state_async,
)
from apiclients.throttling import read_async
from core.logging import choose_request_id, request_id_var

logger = logging.getLogger(__name__)


# gunicorn's default limits (limit_request_line, limit_request_fields, limit_request_field_size),
# which uvicorn's worker does not apply: without them a request could carry megabytes of headers
# into Django. A reverse proxy in front should limit sizes too.
MAX_REQUEST_TARGET_BYTES = 4094
MAX_HEADER_FIELDS = 100
MAX_HEADER_FIELD_BYTES = 8190


def oversized(scope):
    """Return (status, reason) when the request exceeds the limits above, else None."""
    if len(scope.get("raw_path") or scope["path"].encode()) + len(scope["query_string"]) + 1 > MAX_REQUEST_TARGET_BYTES:
        return 414, b"URI Too Long"
    headers = scope["headers"]
    if len(headers) > MAX_HEADER_FIELDS or any(len(name) + len(value) + 2 > MAX_HEADER_FIELD_BYTES for name, value in headers):
        return 431, b"Request Header Fields Too Large"
    return None


def _unused(request):
    raise AssertionError("the event-loop path never calls the rest of the middleware chain")


class CachedProductReads:
    def __init__(self, app):
        self.app = app
        self.reader = CachedProductMiddleware(_unused)
        # SecurityMiddleware comes before the fast path in settings.MIDDLEWARE, so its hooks run here too.
        self.security = SecurityMiddleware(_unused)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            rejected = oversized(scope)
            if rejected is not None:
                await self.reject(scope, send, *rejected)
                return
        if scope["type"] == "http" and scope["method"] == "GET" and response_cache.enabled():
            match = PRODUCT_PATH.match(scope["path"])
            if match and await self.serve(scope, send, match["pk"]):
                return
        await self.app(scope, receive, send)

    async def serve(self, scope, send, pk):
        """Send the stored response and return True, or return False to hand the request on."""
        request = ASGIRequest(scope, io.BytesIO())
        # Set now, so a line this path logs carries the id the response will.
        request_id = choose_request_id(request.headers.get("X-Request-ID", ""))
        request_id_var.set(request_id)
        if self.security.process_request(request) is not None:
            return False
        lookup = self.reader.look_up(request, pk)
        if lookup is None:
            return False
        try:
            state = await read_state_async(lookup.window, lookup.read_keys)
            lookup = await self.read_unremembered_versions(lookup, state)
        except Exception as error:
            counter_failed(request, lookup, error)
            scope[HANDED_ON] = {"counter_failed": True}
            # The full stack echoes this header, so its response carries the id logged above.
            scope["headers"] = [(name, value) for name, value in scope["headers"] if name != b"x-request-id"] + [(b"x-request-id", request_id.encode())]
            return False

        response = self.reader.respond(request, lookup, state, more_reads=False)
        if response is None:
            scope[HANDED_ON] = {
                "throttle_count": request.api_throttle_count,
                "clients_version": getattr(request, "api_clients_version", None),
            }
            return False

        response = self.security.process_response(request, response)
        response["X-Request-ID"] = request_id
        await send({
            "type": "http.response.start",
            "status": response.status_code,
            "headers": [(name.encode("latin-1"), value.encode("latin-1")) for name, value in response.items()],
        })
        await send({"type": "http.response.body", "body": response.content})
        return True

    @staticmethod
    async def reject(scope, send, status, reason):
        client_host = (scope.get("client") or ("-",))[0]
        logger.warning(
            "Request rejected before Django",
            extra={"status": status, "reason": reason.decode(), "path": scope["path"][:200], "client": client_host},
        )
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(reason)).encode())]})
        await send({"type": "http.response.body", "body": reason})

    @staticmethod
    async def read_unremembered_versions(lookup, state):
        """Read the versions a stored entry depends on beyond those read with it, into `state`.

        Only the first read of an entry in a process needs this, for a detail's variants. Later
        reads include the remembered keys in their one round trip.
        """
        _clients_version, _count, found = state
        entry = found.get(lookup.key)
        others = response_cache.unread_versions(entry, lookup.read_keys) if entry else []
        if not others:
            return lookup
        found.update(await read_async(others))
        return lookup._replace(read_keys=[*lookup.read_keys, *others])
