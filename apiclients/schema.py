"""OpenAPI pieces shared by all endpoints: the token scheme, the error shape, common parameters."""

import threading

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from apiclients.errors import api_exception_handler
from apiclients.views import ApiContentNegotiation


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "apiclients.authentication.TokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token created for the client application in the admin, sent as 'Authorization: Bearer kt_…'.",
        }


class ErrorItemSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, such as unknown_parameter.")
    message = serializers.CharField(help_text="What failed and what to do, for a developer.")
    field = serializers.CharField(allow_null=True, help_text="Parameter, header or body field at fault, such as lines[0].sku.")
    value = serializers.JSONField(allow_null=True, help_text="The rejected value, cut to 200 characters.")


class ErrorSerializer(ErrorItemSerializer):
    errors = ErrorItemSerializer(many=True, help_text="Every problem found; the top-level keys repeat the first.")


ERROR_DESCRIPTIONS = {
    400: "Invalid parameter, filter, header or body.",
    401: "Token missing or invalid.",
    403: "The client lacks the scope.",
    404: "Not found, or not visible to this client.",
    409: "Conflicts with the current state, such as too little stock.",
    413: "The body is larger than the server accepts (DATA_UPLOAD_MAX_MEMORY_SIZE).",
    415: "The body's Content-Type is not one the endpoint reads; send application/json.",
    422: "Idempotency-Key reused with a different body.",
    429: "Throttled; see Retry-After.",
}


def error_responses(*codes):
    if 415 in codes:
        # An endpoint that reads a body can also get one that is too large.
        codes = (*codes, 413)
    return {code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]) for code in (400, 401, 403, 429, *codes)}


def not_modified():
    return {304: OpenApiResponse(description="Not modified: the If-None-Match tag is current.")}


LOCALE = OpenApiParameter("locale", OpenApiTypes.STR, description="Locale such as de_DE; overrides Accept-Language. Unknown locales are rejected.")
ACCEPT_LANGUAGE = OpenApiParameter("Accept-Language", OpenApiTypes.STR, OpenApiParameter.HEADER, description="Preferred languages; ignored when ?locale= is given.")
CURRENCY = OpenApiParameter("currency", OpenApiTypes.STR, description="ISO 4217 code the channel sells in; default is the channel's first.")
PRICE_LIST = OpenApiParameter("price_list", OpenApiTypes.STR, description="Price list code: the client's default list (used when left out) or one of the other price lists enabled for the client in the admin.")
IF_NONE_MATCH = OpenApiParameter("If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, description="ETag of a cached copy; a match returns 304.")
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
    description="Unique per order attempt, up to 255 characters. A retry with the same key and body returns the first result.",
)
PAGE_SIZE = OpenApiParameter("page_size", OpenApiTypes.INT, description="Items per page, 1 to 100; default 20.")
CURSOR = OpenApiParameter("cursor", OpenApiTypes.STR, description="Opaque cursor from the next or previous link.")

CATALOG_PARAMETERS = [LOCALE, ACCEPT_LANGUAGE, CURRENCY, PRICE_LIST]


def paginated(serializer_class, name):
    return inline_serializer(
        name=name,
        fields={
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema endpoint, building one schema at a time per process.

    drf-spectacular loads its extension classes into class attributes during the first build,
    and two first builds in parallel threads (gunicorn's gthread workers) failed with a 500 in
    `_load_class`. Serving the schema one request at a time costs little, because clients
    read it rarely.
    """

    _build_lock = threading.Lock()
    content_negotiation_class = ApiContentNegotiation

    # The override drops the exclusion drf-spectacular declares on its own get().
    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        with self._build_lock:
            return super().get(request, *args, **kwargs)

    def get_exception_handler(self):
        return api_exception_handler

    def perform_content_negotiation(self, request, force=False):
        try:
            return super().perform_content_negotiation(request)
        except Exception:
            if not force:
                raise
            # Errors are rendered as JSON, the API's error format, not as the schema's YAML.
            renderer = JSONRenderer()
            return renderer, renderer.media_type
