"""Field validators for identifiers whose rules the field already defines."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import ean
from stdnum.eu import vat
from stdnum.exceptions import ValidationError as StdnumError

GTIN_LENGTHS = (8, 12, 13, 14)


def validate_gtin(value):
    """Raise ValidationError unless `value` is a GTIN-8, -12, -13 or -14 with a valid check digit.

    A GTIN that a spreadsheet stored as a number loses its leading zeros, so the message
    suggests the padded number when zero-padding would make the check digit valid.
    """
    digits = str(value).strip()
    if not digits.isdigit():
        raise ValidationError(
            _("GTIN %(value)s contains characters other than digits."),
            code="invalid_gtin",
            params={"value": value},
        )
    if len(digits) not in GTIN_LENGTHS:
        padded = digits.zfill(13) if len(digits) < 13 else digits.zfill(14)
        hint = ""
        if ean.is_valid(padded):
            hint = _(" It looks like leading zeros were lost; did you mean %(padded)s?") % {"padded": padded}
        raise ValidationError(
            _("GTIN %(value)s has %(length)s digits; a GTIN has 8, 12, 13 or 14.") + hint,
            code="invalid_gtin_length",
            params={"value": value, "length": len(digits)},
        )
    try:
        ean.validate(digits)
    except StdnumError as error:
        raise ValidationError(
            _("GTIN %(value)s has a wrong check digit. Check the number at its source."),
            code="invalid_gtin_checksum",
            params={"value": value},
        ) from error


def validate_vat_number(value):
    """Raise ValidationError unless `value` is a well-formed EU VAT number with its country prefix."""
    try:
        vat.validate(value)
    except StdnumError as error:
        raise ValidationError(
            _("VAT number %(value)s is invalid. Enter it with its country prefix, such as DE123456788."),
            code="invalid_vat_number",
            params={"value": value},
        ) from error


def validate_non_negative(value):
    if value is not None and value < 0:
        raise ValidationError(
            _("%(value)s is negative; enter zero or more."),
            code="negative",
            params={"value": value},
        )
