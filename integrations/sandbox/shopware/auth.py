"""OAuth for the simulated Admin API: POST /api/oauth/token and the bearer check of every call.

Supports the client_credentials grant that integrations use. Tokens expire after the shop's
token lifetime (600 s by default, as in Shopware), and a request with an expired or unknown
token gets 401, so clients must read expires_in and fetch a new token.
"""

import functools
import hashlib
import json
import secrets
from datetime import timedelta

from django.http import JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from integrations.sandbox import store
from integrations.sandbox.shopware.state import SYSTEM, ensure_seeded, settings


def error_response(status, code, title, detail, pointer=None):
    """Return a JSON:API error answer as the Admin API sends it."""
    error = {"code": code, "status": str(status), "title": title, "detail": detail, "meta": {"parameters": []}}
    if pointer is not None:
        error["source"] = {"pointer": pointer}
    return JsonResponse({"errors": [error]}, status=status)


def _token_key(token):
    return hashlib.sha256(token.encode()).hexdigest()


def token_view(request):
    """Issue an access token for valid integration credentials (grant client_credentials)."""
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = request.POST.dict()
    if not isinstance(body, dict):
        body = {}

    if body.get("grant_type") != "client_credentials":
        return error_response(
            400, "2", "Bad Request",
            "The authorization grant type is not supported by the authorization server.",
        )

    shop = settings()
    key_matches = secrets.compare_digest(str(body.get("client_id", "")), shop["accessKey"])
    secret_matches = secrets.compare_digest(str(body.get("client_secret", "")), shop["secretAccessKey"])
    if not (key_matches and secret_matches):
        return error_response(401, "4", "Unauthorized", "Client authentication failed")

    ensure_seeded()
    token = secrets.token_urlsafe(48)
    lifetime = shop["tokenLifetime"]
    expires_at = timezone.now() + timedelta(seconds=lifetime)
    store.put(SYSTEM, "_token", _token_key(token), {"expiresAt": expires_at.isoformat(), "clientId": shop["accessKey"]})
    return JsonResponse({"token_type": "Bearer", "expires_in": lifetime, "access_token": token})


def token_is_valid(request):
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return False
    record = store.get(SYSTEM, "_token", _token_key(header[len("Bearer "):].strip()))
    if record is None:
        return False
    return parse_datetime(record["expiresAt"]) > timezone.now()


def revoke_tokens():
    """Invalidate every issued token, as when an integration's key is regenerated."""
    deleted, _ = store.rows(SYSTEM, "_token").delete()
    return deleted


def authenticated(view):
    """Answer 401 unless the request carries a valid, unexpired bearer token."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not token_is_valid(request):
            return error_response(401, "9", "Unauthorized", "The resource owner or authorization server denied the request.")
        return view(request, *args, **kwargs)

    return wrapped
