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

from django.core.exceptions import DisallowedHost, PermissionDenied
from django.http import HttpResponse, HttpResponseNotModified
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.locale import LocaleMiddleware
from rest_framework.exceptions import AuthenticationFailed

from apiclients import cache as response_cache
from apiclients.access import CLIENTS_VERSION, bearer_token, cached_client, record_use
from apiclients.etag import VARY, matches_if_none_match
from apiclients.models import Scope
from apiclients.throttling import count_and_read, current_window
from apiclients.tokens import hash_token

logger = logging.getLogger(__name__)

PRODUCT_PATH = re.compile(r"^/api/v1/products/(?:(?P<pk>[0-9]{1,18})/)?$")
# Accept values for which DRF's content negotiation picks the JSON renderer without options.
PLAIN_JSON_ACCEPT = frozenset({"", "*/*", "application/*", "application/json"})
# The methods DRF lists for the product view set.
ALLOW = "GET, HEAD, OPTIONS"


class CachedProductMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        # Their hooks run on the short path's responses, as they would in the full stack.
        self.common = CommonMiddleware(get_response)
        self.locale = LocaleMiddleware(get_response)
        self.xframe = XFrameOptionsMiddleware(get_response)

    def __call__(self, request):
        response = None
        if request.method == "GET" and response_cache.enabled():
            match = PRODUCT_PATH.match(request.path_info)
            if match:
                response = self.serve_cached(request, match["pk"])
        return response if response is not None else self.get_response(request)

    def serve_cached(self, request, pk):
        """Return the stored response, or None to hand the request on to the full stack."""
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
        read_keys = list(dict.fromkeys([key, *version_keys, *_remembered_versions.get(key, ())]))
        window = current_window(client)
        try:
            current_version, count, found = _read_state(window, read_keys)
        except Exception:
            logger.exception("Fast path state not readable", extra={"api_client_id": client.pk})
            return None

        # From here on the request is counted, so a handed-on request carries its count.
        request.api_throttle_count = (window.key, count)
        if current_version is not None:
            request.api_clients_version = current_version
        if current_version is None or current_version != version or count > window.limit:
            return None
        entry = found.pop(key, None)
        if entry is None or not response_cache.is_current(entry, found, read_keys, response_cache.safe_get_many):
            return None
        _remember_versions(key, entry)

        record_use(client)
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


# response key -> the version keys its stored entry depends on, as a hint for the next read
_remembered_versions = {}
MAX_REMEMBERED = 50_000


def _remember_versions(key, entry):
    if len(_remembered_versions) >= MAX_REMEMBERED:
        _remembered_versions.clear()
    _remembered_versions[key] = tuple(entry["versions"])


def _read_state(window, keys):
    """Count the request and read the clients version and `keys`, in one Redis round trip.

    Return (clients version, count, {key: value} of the keys that exist).
    """
    count, values = count_and_read(window.key, window.timeout, [CLIENTS_VERSION, *keys])
    found = {key: value for key, value in zip(keys, values[1:], strict=True) if value is not None}
    return values[0], count, found
