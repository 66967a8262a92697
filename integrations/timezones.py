"""Conversion between a remote system's local time stamps and Kontor's UTC.

Many systems send or filter by naive local time (WooCommerce site time, Akeneo search filters,
Matomo site time). Such a value is read in the connection's IANA time zone. Two wall times need
a rule, and both rules follow PEP 495 with fold=0:

- A wall time that occurs twice when clocks fall back (Europe/Berlin 2026-10-25 02:30) is read
  as the first occurrence, the earlier instant. A delta pull that starts from it then reads an
  hour of changes twice, which is harmless, instead of skipping an hour.
- A wall time that does not exist when clocks spring forward (Europe/Berlin 2026-03-29 02:30)
  is shifted forward by the gap: it is read with the offset before the change, so 02:30 becomes
  01:30 UTC, which is 03:30 local time.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def get_zone(tz_name):
    """Return the ZoneInfo for an IANA name such as "Europe/Berlin"; ValueError if unknown."""
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(
            f"Unknown time zone {tz_name!r}. Use an IANA name such as Europe/Berlin or UTC."
        ) from None


def to_utc(value, tz_name):
    """Convert a remote time stamp to an aware UTC datetime.

    `value` is an ISO 8601 string, a datetime or Unix seconds (int or float). A value without an
    offset is local time in `tz_name`; a value with an offset is converted as it is. None stays
    None, so optional remote fields need no special case.
    """
    if value is None:
        return None

    if isinstance(value, bool):
        raise ValueError(f"Invalid time stamp {value!r}: expected ISO 8601 text, a datetime or Unix seconds.")
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        value = _parse_iso(value)
    elif isinstance(value, date) and not isinstance(value, datetime):
        raise ValueError(f"Invalid time stamp {value!r}: a date has no time of day; pass a datetime.")
    elif not isinstance(value, datetime):
        raise ValueError(f"Invalid time stamp {value!r}: expected ISO 8601 text, a datetime or Unix seconds.")

    if value.tzinfo is None or value.utcoffset() is None:
        # fold=0 picks the earlier instant of a repeated hour and shifts a skipped wall time
        # forward, as the module docstring explains.
        value = value.replace(tzinfo=get_zone(tz_name), fold=0)
    return value.astimezone(UTC)


def from_utc(value, tz_name):
    """Convert an aware datetime to local time in `tz_name`, for a filter sent to a remote.

    Returns an aware datetime; drop its tzinfo for a remote that expects naive local time.
    NOTE: a naive local value in the repeated hour of a fall-back change is ambiguous to the
    remote, which may read it an hour later. Pulls cover this with their overlap window.
    """
    if value is None:
        return None
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"Invalid time stamp {value!r}: expected an aware datetime in UTC.")
    return value.astimezone(get_zone(tz_name))


def _parse_iso(text):
    cleaned = text.strip()
    # Python 3.11 reads "Z" and most ISO 8601 forms, but not a trailing " UTC".
    if cleaned.endswith(" UTC"):
        cleaned = cleaned[:-4] + "+00:00"
    try:
        return datetime.fromisoformat(cleaned)
    except ValueError:
        raise ValueError(
            f"Invalid time stamp {text!r}: expected ISO 8601 such as 2026-03-29T02:30:00 "
            "or 2026-03-29 02:30:00+01:00."
        ) from None
