from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend

from apiclients.errors import InvalidParameter

MAX_ID = 2**63 - 1  # PostgreSQL bigint; a larger id would fail in the database instead of here


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter backend that reports an invalid filter value in the API's error shape."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            name, messages = next(iter(filterset.errors.items()))
            raise InvalidParameter(
                _("Invalid value for filter %(name)s: %(reason)s") % {"name": name, "reason": " ".join(messages)},
                code="invalid_filter",
                field=name,
                value=request.query_params.get(name),
            )
        return filterset.qs


def parse_id(value, field="id"):
    """Return `value` as a database id, or raise a 400 that names the field and value."""
    text = str(value)
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_ID:
        raise InvalidParameter(
            _("%(field)s must be a positive whole number, not %(value)s.") % {"field": field, "value": text[:50]},
            code="invalid_id",
            field=field,
            value=text,
        )
    return int(text)
