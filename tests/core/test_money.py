from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from core.admin import format_money
from core.money import (
    Money,
    format_amount,
    from_minor_units,
    minor_units,
    quantize,
    to_currency_places,
    to_minor_units,
    validate_amount_precision,
    validate_currency,
)


@pytest.mark.parametrize(
    ("currency", "places"),
    [("JPY", 0), ("KRW", 0), ("EUR", 2), ("USD", 2), ("KWD", 3), ("BHD", 3), ("TND", 3)],
)
def test_minor_units_per_currency(currency, places):
    assert minor_units(currency) == places


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("1234.5", "JPY", Decimal("1235")),
        ("1234.49", "JPY", Decimal("1234")),
        ("10.005", "EUR", Decimal("10.01")),
        ("10.004", "EUR", Decimal("10.00")),
        ("-10.005", "EUR", Decimal("-10.01")),
        ("1.2345", "KWD", Decimal("1.235")),
        ("1.2344", "KWD", Decimal("1.234")),
        ("0.0005", "BHD", Decimal("0.001")),
    ],
)
def test_quantize_rounds_half_up_to_minor_unit(amount, currency, expected):
    result = quantize(amount, currency)

    assert result == expected
    assert result.as_tuple().exponent == -minor_units(currency)


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        (Decimal("19.99"), "EUR", 1999),
        (Decimal("0.01"), "EUR", 1),
        (Decimal("500"), "JPY", 500),
        (Decimal("1.234"), "KWD", 1234),
        (Decimal("0.001"), "BHD", 1),
    ],
)
def test_minor_units_round_trip(amount, currency, minor):
    assert to_minor_units(amount, currency) == minor
    assert from_minor_units(minor, currency) == amount


@pytest.mark.parametrize(("amount", "currency"), [("19.999", "EUR"), ("100.5", "JPY"), ("1.2345", "KWD")])
def test_to_minor_units_rejects_finer_amount(amount, currency):
    with pytest.raises(ValidationError) as caught:
        to_minor_units(Decimal(amount), currency)

    assert caught.value.code == "too_precise"
    assert amount in caught.value.messages[0]
    assert currency in caught.value.messages[0]


def test_from_minor_units_rejects_non_integer():
    with pytest.raises(ValidationError) as caught:
        from_minor_units("1999", "EUR")

    assert "1999" in caught.value.messages[0]


def test_amount_precision_accepts_trailing_zeros():
    validate_amount_precision(Decimal("19.9900"), "EUR")
    validate_amount_precision(Decimal("500.00"), "JPY")


@pytest.mark.parametrize("code", ["XYZ", "eur", "EURO", "", None])
def test_unknown_currency_code_rejected_with_value(code):
    with pytest.raises(ValidationError) as caught:
        validate_currency(code)

    assert caught.value.code == "unknown_currency"
    assert str(code) in caught.value.messages[0]


def test_money_rejects_float():
    with pytest.raises(TypeError):
        Money(19.99, "EUR")


def test_money_adds_same_currency_only():
    total = Money("10.00", "EUR") + Money("1.90", "EUR")

    assert total == Money("11.90", "EUR")
    with pytest.raises(ValueError):
        Money("10.00", "EUR") + Money("10", "JPY")


@pytest.mark.parametrize(
    ("language", "amount", "currency", "expected"),
    [
        ("de", Decimal("1234.5000"), "EUR", "1.234,50 EUR"),
        ("en", Decimal("1234.5000"), "EUR", "1,234.50 EUR"),
        ("de", Decimal("1235.0000"), "JPY", "1.235 JPY"),
        ("de", Decimal("1.2340"), "KWD", "1,234 KWD"),
        ("de", Decimal("9.9950"), "EUR", "9,9950 EUR"),
    ],
)
def test_format_money_shows_currency_and_minor_unit(language, amount, currency, expected):
    with translation.override(language):
        assert format_money(amount, currency) == expected


@pytest.mark.parametrize(
    ("amount", "currency", "english", "german"),
    [
        (Decimal("19.0000"), "EUR", "19.00", "19,00"),
        (Decimal("19.1234"), "EUR", "19.1234", "19,1234"),
        (Decimal("19.5000"), "EUR", "19.50", "19,50"),
        (Decimal("1200.0000"), "JPY", "1,200", "1.200"),
        (Decimal("0E-4"), "EUR", "0.00", "0,00"),
        (Decimal("-1234.5000"), "EUR", "-1,234.50", "-1.234,50"),
    ],
)
def test_format_amount_in_each_language(amount, currency, english, german):
    formatted = format_amount(amount, currency)

    with translation.override("en"):
        assert str(formatted) == english
    with translation.override("de"):
        assert str(formatted) == german


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("19.0000", "EUR", "19.00"),
        ("150.0000", "JPY", "150"),
        ("8.4034", "EUR", "8.4034"),
        ("0.1250", "EUR", "0.125"),
        ("0", "EUR", "0.00"),
    ],
)
def test_to_currency_places(amount, currency, expected):
    assert str(to_currency_places(Decimal(amount), currency)) == expected
