"""Strong ETags computed from the response data, and 304 answers to a matching If-None-Match.

The tag is a hash of the serialized body, so it changes whenever any part of the answer
changes, including prices and stock that do not touch the product's updated_at. A matching
tag saves the client the transfer and its own parsing. The server still builds the response
unless apiclients.cache has it stored.
"""

import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder
from rest_framework import status
from rest_framework.response import Response

# A product or category response depends on the locale and on the client behind the token.
VARY = "Accept-Language, Authorization"


def compute_etag(data, *parts):
    payload = json.dumps([data, *parts], cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
    return '"' + hashlib.sha256(payload.encode()).hexdigest()[:32] + '"'


def matches_if_none_match(header, etag):
    if not header:
        return False
    candidates = [tag.strip() for tag in header.split(",")]
    # Weak comparison, as RFC 9110 prescribes for If-None-Match.
    bare = etag.removeprefix("W/")
    return "*" in candidates or any(tag.removeprefix("W/") == bare for tag in candidates)


def conditional_response(request, data, *parts, etag=None):
    """Return a 200 with an ETag, or an empty 304 when the client's If-None-Match matches.

    `etag` is one computed earlier by compute_etag for the same data and parts, such as a cached one.
    """
    etag = etag or compute_etag(data, *parts)
    headers = {"ETag": etag, "Vary": VARY}
    if matches_if_none_match(request.headers.get("If-None-Match"), etag):
        return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(data, headers=headers)
