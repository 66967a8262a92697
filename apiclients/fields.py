from datetime import UTC

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries.serializer_fields import CountryField
from django_filters.fields import IsoDateTimeField
from django_filters.filters import IsoDateTimeFilter
from rest_framework import serializers


class CountryCodeField(CountryField):
    """An ISO 3166-1 alpha-2 code as a plain string.

    django-countries also accepts {"code": ...} and lets {"code": ""} through as an empty
    country; the API takes only strings, so an address never gets saved without a country.
    """

    default_error_messages = {
        "invalid_choice": _(
            '"{input}" is not an ISO 3166-1 alpha-2 country code. Send the two-letter code, such as DE for Germany '
            "or AT for Austria."
        ),
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


def to_utc(value):
    """Return an aware datetime in UTC; None when the offset moves it out of the datetime range.

    PostgreSQL accepts offsets up to 15:59 only, while ISO 8601 and Python allow up to 23:59,
    so a value is stored and compared in UTC.
    """
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return None


class UtcDateTimeField(serializers.DateTimeField):
    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        converted = to_utc(parsed)
        if converted is None:
            self.fail("invalid", format="ISO 8601")
        return converted


DATETIME_FORMAT_HINT = _("Send an ISO 8601 date and time, such as 2026-12-05T10:00:00Z or 2026-12-05T11:00:00+01:00.")


class UtcIsoDateTimeFormField(IsoDateTimeField):
    default_error_messages = {"invalid": DATETIME_FORMAT_HINT}

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return None
        converted = to_utc(parsed)
        if converted is None:
            raise forms.ValidationError(DATETIME_FORMAT_HINT, code="invalid")
        return converted


class UtcIsoDateTimeFilter(IsoDateTimeFilter):
    """An ISO 8601 date-time filter that compares in UTC; see to_utc."""

    field_class = UtcIsoDateTimeFormField
