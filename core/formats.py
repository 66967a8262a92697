"""Dates and times as merchants read them in the admin, in messages and in emails."""

from datetime import UTC

from django.utils import timezone
from django.utils.formats import date_format


def format_utc_datetime(value):
    """Format an aware datetime in UTC with the active language's DATETIME_FORMAT and label it UTC.

    German gives "6. Dezember 2026 01:52 UTC" and English "Dec. 6, 2026, 1:52 a.m. UTC". A naive
    datetime raises ValueError, because its offset from UTC is unknown.
    """
    return f"{format_utc(value)} UTC"


def format_utc(value):
    """Format an aware datetime like format_utc_datetime, without the label, for a text that names UTC itself."""
    return date_format(timezone.localtime(value, UTC), "DATETIME_FORMAT")
