"""Quantities are shown without the trailing zeros of their three-place column."""

from decimal import Decimal

import pytest
from django.utils import translation

from core.quantities import format_quantity, localized_quantity, signed_quantity


@pytest.mark.parametrize(
    ("stored", "plain", "german", "english"),
    [
        (Decimal("38.000"), "38", "38", "38"),
        (Decimal("2.500"), "2.5", "2,5", "2.5"),
        (Decimal("1000.000"), "1000", "1000", "1000"),
        (Decimal("0.000"), "0", "0", "0"),
        (Decimal("-0.250"), "-0.25", "-0,25", "-0.25"),
    ],
)
def test_quantity_formats(stored, plain, german, english):
    with translation.override("de"):
        shown_in_german = localized_quantity(stored)
    with translation.override("en"):
        shown_in_english = localized_quantity(stored)

    assert format_quantity(stored) == plain
    assert shown_in_german == german
    assert shown_in_english == english


def test_missing_quantity_shown_as_dash():
    assert localized_quantity(None) == "-"


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        (Decimal("12.000"), "+12"),
        (Decimal("0.000"), "+0"),
        (Decimal("-2.500"), "-2,5"),
    ],
)
def test_signed_quantity_in_german(change, shown):
    with translation.override("de"):
        assert signed_quantity(change) == shown
