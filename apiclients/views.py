"""The base every API view builds on: token auth, scopes, throttling, JSON only, one error shape."""

from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.settings import api_settings

from apiclients.authentication import TokenAuthentication
from apiclients.context import reject_unknown_params
from apiclients.errors import InvalidParameter, api_exception_handler
from apiclients.pagination import StrictCursorPagination
from apiclients.permissions import HasScope
from apiclients.throttling import ClientRateThrottle


class ApiContentNegotiation(DefaultContentNegotiation):
    """DRF's content negotiation, with an unknown ?format= rejected as a parameter error that names it.

    DRF raises a bare 404 "Not found." for it, which reads as if the resource were missing.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except Http404:
            value = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
            formats = ", ".join(sorted({renderer.format for renderer in renderers}))
            raise InvalidParameter(
                _("Unknown format %(value)s. Use one of: %(formats)s, or leave format out.") % {"value": value, "formats": formats},
                code="unknown_format",
                field="format",
                value=value,
            ) from None


class ApiViewMixin:
    content_negotiation_class = ApiContentNegotiation
    authentication_classes = [TokenAuthentication]
    permission_classes = [HasScope]
    throttle_classes = [ClientRateThrottle]
    renderer_classes = [JSONRenderer]
    # Order and customer bodies are nested JSON, which form encodings cannot carry.
    parser_classes = [JSONParser]
    pagination_class = StrictCursorPagination
    # Query parameters every endpoint of this view accepts besides its filters.
    extra_query_params = frozenset()

    def get_exception_handler(self):
        return api_exception_handler

    def allowed_query_params(self):
        # DRF's ?format= picks the renderer; ApiContentNegotiation rejects values other than json.
        allowed = {api_settings.URL_FORMAT_OVERRIDE, *self.extra_query_params}
        filterset_class = getattr(self, "filterset_class", None)
        if filterset_class is not None and getattr(self, "action", None) == "list":
            allowed |= set(filterset_class.base_filters)
        if getattr(self, "action", None) == "list" and self.pagination_class is not None:
            allowed |= {"cursor", "page_size"}
        return allowed

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        reject_unknown_params(request, self.allowed_query_params())
