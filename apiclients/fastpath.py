"""A short path for cached product reads: served before sessions, CSRF, auth, messages and DRF.

A stored product list or detail cost the full stack 2 to 3 ms of CPU, most of it in code
that has nothing to do for a token-authenticated GET. CachedProductMiddleware sits right
after SecurityMiddleware. It serves a GET of /api/v1/products/ or /api/v1/products/<id>/
itself only when all of these hold:

- the bearer token belongs to a client this process has in memory (apiclients.access), with
  the catalog:read scope;
- the Accept header asks for plain JSON (none, */*, application/* or application/json);
- one Redis round trip shows that the clients version is still the one the client was read
  under, that the request is within the client's throttle rate, and that the stored response
  is built from the current catalog versions.

Everything else goes on through the full stack, which gives the same answer and the same
errors (401, 403, 406, 429, 400). When this path has counted the request against the
throttle already, it hands the count on, so a request is counted once. The response gets the
headers the full stack would add: DRF's Allow, and those of LocaleMiddleware,
CommonMiddleware and XFrameOptionsMiddleware, whose own code runs here. Tests in
tests/api/test_fast_path.py compare both paths header by header.
"""

import logging
import re
from typing import NamedTuple

from django.core.exceptions import DisallowedHost, PermissionDenied
from django.http import HttpResponse, HttpResponseNotModified
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.locale import LocaleMiddleware
from rest_framework.exceptions import AuthenticationFailed

from apiclients import cache as response_cache
from apiclients.access import CLIENTS_VERSION, bearer_token, cached_client, record_use, use_is_due
from apiclients.etag import VARY, matches_if_none_match
from apiclients.models import Scope
from apiclients.throttling import count_and_read, count_and_read_async, current_window
from apiclients.tokens import hash_token

logger = logging.getLogger(__name__)

PRODUCT_PATH = re.compile(r"^/api/v1/products/(?:(?P<pk>[0-9]{1,18})/)?$")
# Accept values for which DRF's content negotiation picks the JSON renderer without options.
PLAIN_JSON_ACCEPT = frozenset({"", "*/*", "application/*", "application/json"})
# The methods DRF lists for the product view set.
ALLOW = "GET, HEAD, OPTIONS"


# Set in the ASGI scope by apiclients.asgi when it has counted a request and hands it on.
HANDED_ON = "kontor.api_fast_path"


class Lookup(NamedTuple):
    """Request details the fast path collects before its Redis round trip."""

    client: object
    version: str
    window: object
    key: str
    read_keys: list


class CachedProductMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        # Their hooks run on the short path's responses, as they would in the full stack.
        self.common = CommonMiddleware(get_response)
        self.locale = LocaleMiddleware(get_response)
        self.xframe = XFrameOptionsMiddleware(get_response)

    def __call__(self, request):
        response = None
        handed_on = request.environ.get("asgi.scope", {}).get(HANDED_ON)
        if handed_on is not None:
            # The event-loop path (apiclients.asgi) has tried and counted this request already.
            take_over(request, handed_on)
        elif request.method == "GET" and response_cache.enabled():
            match = PRODUCT_PATH.match(request.path_info)
            if match:
                response = self.serve_cached(request, match["pk"])
        return response if response is not None else self.get_response(request)

    def serve_cached(self, request, pk):
        """Return the stored response, or None to hand the request on to the full stack."""
        lookup = self.look_up(request, pk)
        if lookup is None:
            return None
        try:
            state = _read_state(lookup.window, lookup.read_keys)
        except Exception as error:
            counter_failed(request, lookup, error)
            return None
        return self.respond(request, lookup, state)

    def look_up(self, request, pk):
        """Return what the Redis round trip needs, or None when the request is not for this path."""
        if request.META.get("HTTP_ACCEPT", "") not in PLAIN_JSON_ACCEPT:
            return None
        try:
            token = bearer_token(request.META.get("HTTP_AUTHORIZATION", ""))
        except AuthenticationFailed:
            return None
        known = cached_client(hash_token(token)) if token else None
        if known is None:
            return None
        version, client = known
        if not client.has_scope(Scope.CATALOG_READ):
            return None

        try:
            # The full stack handles disallowed hosts and user agents, and a www. redirect.
            if self.common.process_request(request) is not None:
                return None
        except (DisallowedHost, PermissionDenied):
            return None

        if pk is None:
            kind, version_keys = response_cache.LIST_KIND, response_cache.LIST_VERSION_KEYS
        else:
            kind, version_keys = response_cache.DETAIL_KIND, response_cache.detail_version_keys(int(pk))
        key = response_cache.response_key(request, kind, client)
        # The versions of the variants, remembered from the last hit, come in the same round trip.
        read_keys = list(dict.fromkeys([key, *version_keys, *response_cache.remembered_versions(key)]))
        return Lookup(client, version, current_window(client), key, read_keys)

    def respond(self, request, lookup, state, *, more_reads=True):
        """Return the stored response when `state` shows it is current, else None.

        From here on the request is counted, so a handed-on request carries its count. Without
        `more_reads` (on the event loop, where a blocking read would stall every request), the
        caller has read every version the entry needs already. A version still missing then
        counts as stale instead of being read, and a due last-used write hands the request on.
        """
        current_version, count, found = state
        request.api_throttle_count = (lookup.window.key, count)
        if current_version is not None:
            request.api_clients_version = current_version
        if current_version is None or current_version != lookup.version or count > lookup.window.limit:
            return None
        entry = found.pop(lookup.key, None)
        if entry is None:
            return None
        # Remembered even when the entry turns out stale, so the next read includes its variants.
        response_cache.remember_versions(lookup.key, entry["versions"])
        read_more = response_cache.safe_get_many if more_reads else _nothing_more
        if not response_cache.is_current(entry, found, lookup.read_keys, read_more):
            return None

        if more_reads:
            record_use(lookup.client)
        elif use_is_due(lookup.client):
            return None
        self.locale.process_request(request)
        response = self.build_response(request, entry)
        response = self.xframe.process_response(request, response)
        response = self.common.process_response(request, response)
        return self.locale.process_response(request, response)

    @staticmethod
    def build_response(request, entry):
        etag = entry["etag"]
        if etag is not None and matches_if_none_match(request.headers.get("If-None-Match"), etag):
            response = HttpResponseNotModified()
        else:
            response = HttpResponse(entry["body"], content_type="application/json")
        if etag is not None:
            # The headers apiclients.etag.conditional_response sets on the full path.
            response["ETag"] = etag
            response["Vary"] = VARY
        response["Allow"] = ALLOW
        return response


def take_over(request, handed_on):
    """Carry the count and clients version of the event-loop path over to the full stack's request."""
    if handed_on.get("counter_failed"):
        request.api_counter_failed = True
        return
    request.api_throttle_count = handed_on["throttle_count"]
    if handed_on["clients_version"] is not None:
        request.api_clients_version = handed_on["clients_version"]


def counter_failed(request, lookup, error):
    """Log that Redis failed for the fast path, and mark the request so the throttle does not retry it."""
    logger.warning(
        "Fast path Redis read failed; the full stack serves the request without throttling",
        extra={"api_client_id": lookup.client.pk, "error": str(error)},
    )
    request.api_counter_failed = True


def _nothing_more(keys):
    # Pretends the versions are missing, so is_current() reports the entry as not current.
    return {}


def _read_state(window, keys):
    """Count the request and read the clients version and `keys`, in one Redis round trip.

    Return (clients version, count, {key: value} of the keys that exist).
    """
    count, values = count_and_read(window.key, window.timeout, [CLIENTS_VERSION, *keys])
    found = {key: value for key, value in zip(keys, values[1:], strict=True) if value is not None}
    return values[0], count, found


async def read_state_async(window, keys):
    """_read_state for the event loop."""
    count, values = await count_and_read_async(window.key, window.timeout, [CLIENTS_VERSION, *keys])
    found = {key: value for key, value in zip(keys, values[1:], strict=True) if value is not None}
    return values[0], count, found
