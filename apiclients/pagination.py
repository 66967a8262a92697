"""Cursor pagination with strict checks of page_size and cursor, for lists that change while read."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

from apiclients.errors import InvalidParameter

MAX_PAGE_SIZE = 100


class StrictCursorPagination(CursorPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = "id"

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= self.max_page_size:
            raise InvalidParameter(
                _("page_size must be a whole number from 1 to %(max)s.") % {"max": self.max_page_size},
                code="invalid_page_size",
                field=self.page_size_query_param,
                value=raw,
            )
        return int(raw)

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound as error:
            raise InvalidParameter(
                _("The cursor is invalid. Use the 'next' or 'previous' link of an earlier page."),
                code="invalid_cursor",
                field=self.cursor_query_param,
                value=request.query_params.get(self.cursor_query_param),
            ) from error

    def get_ordering(self, request, queryset, view):
        return getattr(view, "cursor_ordering", None) or super().get_ordering(request, queryset, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update({"minimum": 1, "maximum": self.max_page_size})
                parameter["description"] = f"Items per page, 1 to {self.max_page_size}; default {self.page_size}."
        return parameters
