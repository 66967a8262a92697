from datetime import UTC, datetime, timedelta, timezone

import pytest

from integrations.timezones import from_utc, to_utc


def test_naive_string_in_winter():
    assert to_utc("2026-01-15T10:00:00", "Europe/Berlin") == datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def test_naive_string_in_summer():
    assert to_utc("2026-07-15 10:00:00", "Europe/Berlin") == datetime(2026, 7, 15, 8, 0, tzinfo=UTC)


def test_nonexistent_spring_forward_time_shifts_forward():
    # 02:30 does not exist on 2026-03-29 in Berlin; it is read as 03:30 CEST
    result = to_utc("2026-03-29T02:30:00", "Europe/Berlin")

    assert result == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert from_utc(result, "Europe/Berlin").replace(tzinfo=None) == datetime(2026, 3, 29, 3, 30)


def test_ambiguous_fall_back_time_takes_first_occurrence():
    # 02:30 happens twice on 2026-10-25 in Berlin: 00:30 UTC (CEST) and 01:30 UTC (CET)
    result = to_utc("2026-10-25 02:30:00", "Europe/Berlin")

    assert result == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_naive_datetime_object():
    assert to_utc(datetime(2026, 10, 25, 2, 30), "Europe/Berlin") == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_aware_values_keep_their_offset():
    assert to_utc("2026-10-25T02:30:00+01:00", "Europe/Berlin") == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert to_utc("2026-05-01T12:00:00Z", "America/New_York") == datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    aware = datetime(2026, 5, 1, 8, 0, tzinfo=timezone(timedelta(hours=-4)))
    assert to_utc(aware, "Europe/Berlin") == datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_unix_seconds():
    assert to_utc(1767225600, "Europe/Berlin") == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)


def test_none_stays_none():
    assert to_utc(None, "Europe/Berlin") is None
    assert from_utc(None, "Europe/Berlin") is None


def test_invalid_string_names_value():
    with pytest.raises(ValueError, match="Invalid time stamp '29.03.2026 02:30'"):
        to_utc("29.03.2026 02:30", "Europe/Berlin")


def test_unknown_zone_names_value():
    with pytest.raises(ValueError, match="Unknown time zone 'Europe/Bonn'"):
        to_utc("2026-01-01T00:00:00", "Europe/Bonn")


def test_from_utc_across_fall_back():
    first = from_utc(datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "Europe/Berlin")
    second = from_utc(datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "Europe/Berlin")

    assert first.replace(tzinfo=None) == second.replace(tzinfo=None) == datetime(2026, 10, 25, 2, 30)
    assert (first.fold, second.fold) == (0, 1)
    assert first.utcoffset() == timedelta(hours=2)
    assert second.utcoffset() == timedelta(hours=1)


def test_from_utc_rejects_naive():
    with pytest.raises(ValueError, match="expected an aware datetime"):
        from_utc(datetime(2026, 1, 1), "Europe/Berlin")
