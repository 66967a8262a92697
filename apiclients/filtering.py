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
            name, errors = next(iter(filterset.form.errors.as_data().items()))
            value = request.query_params.get(name)
            reason = " ".join(_filter_reason(filterset.form.fields.get(name), error, value) for error in errors)
            raise InvalidParameter(
                _("Invalid value %(value)s for filter %(name)s: %(reason)s") % {"value": value, "name": name, "reason": reason},
                code="invalid_filter",
                field=name,
                value=value,
            )
        return filterset.qs


def _filter_reason(form_field, error, value):
    """Return the message of one filter error, which lists the allowed values for an unknown choice.

    Django's message for a choice ("Select a valid choice. maybe is not one of the available
    choices.") names the value but not the values that would work.
    """
    choices = getattr(form_field, "choices", None)
    if error.code == "invalid_choice" and choices:
        allowed = ", ".join(str(choice) for choice, _label in choices if choice not in ("", None))
        return _("Use one of: %(choices)s.") % {"choices": allowed}
    return " ".join(error.messages)


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
