"""Quantities as people read them: without the trailing zeros of the three-place database column.

A quantity column keeps three decimal places, so 38 items are stored as 38.000. A German
reader takes that for thirty-eight thousand, and an English reader takes the German "38,000"
for the same.
"""

from decimal import Decimal

from django.utils.formats import number_format


def format_quantity(value):
    """Return a quantity as plain digits without trailing zeros: 3 rather than 3.000 or 1E+5."""
    return format(Decimal(value).normalize(), "f")


def localized_quantity(value):
    """Format a quantity in the active language without trailing zeros, such as "38" or "2,5" in German.

    A missing quantity, as on a record that is not filled in yet, is shown as "-", the admin's
    mark for an empty value.
    """
    if value is None:
        return "-"
    return number_format(Decimal(value).normalize())


def signed_quantity(value):
    """Format a quantity change like localized_quantity, with a plus sign unless it is negative."""
    formatted = localized_quantity(value)
    return formatted if value < 0 else f"+{formatted}"
