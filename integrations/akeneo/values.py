"""Convert one Akeneo attribute value (API shape) into the typed columns of an AttributeValue.

Akeneo sends numbers as strings or integers, booleans as JSON booleans and dates as ISO
dates; a CSV export has the same values as text. Both are read here, so the CSV path and
the API path accept and reject the same values.
"""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from catalog.models import AttributeType
from core.money import quantize, validate_amount_precision, validate_currency
from integrations.akeneo.issues import ValidationMessage
from integrations.akeneo.issues import deferred_gettext as _

# Akeneo attribute types and the canonical type each becomes.
TYPE_MAP = {
    "pim_catalog_identifier": AttributeType.IDENTIFIER,
    "pim_catalog_text": AttributeType.TEXT,
    "pim_catalog_textarea": AttributeType.RICH_TEXT,
    "pim_catalog_number": AttributeType.NUMBER,
    "pim_catalog_boolean": AttributeType.BOOLEAN,
    "pim_catalog_date": AttributeType.DATE,
    "pim_catalog_simpleselect": AttributeType.SINGLE_SELECT,
    "pim_catalog_multiselect": AttributeType.MULTI_SELECT,
    "pim_catalog_metric": AttributeType.MEASUREMENT,
    "pim_catalog_price_collection": AttributeType.PRICE,
    "pim_catalog_image": AttributeType.MEDIA,
    "pim_catalog_file": AttributeType.MEDIA,
}

NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
COMMA_NUMBER = re.compile(r"[+-]?\d+(,\d+)?")
# The largest value AttributeValue.number_value holds: 30 digits, 10 of them decimals.
MAX_NUMBER = Decimal("1e20")


class ValueInvalid(Exception):
    """A value that cannot be imported; `message` names the value and what to fix."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def parse_number(data, attribute, decimal_separator="."):
    """Return `data` as Decimal, checked against the attribute's decimal and sign rules."""
    if isinstance(data, bool):
        raise ValueInvalid("invalid_number", _("%(value)s is not a number.") % {"value": data})
    if isinstance(data, int):
        number = Decimal(data)
    else:
        text = str(data).strip()
        if decimal_separator == "," and COMMA_NUMBER.fullmatch(text):
            text = text.replace(",", ".")
        elif COMMA_NUMBER.fullmatch(text) and "," in text:
            raise ValueInvalid(
                "decimal_comma",
                _("%(value)s uses a comma as decimal separator. Write %(fixed)s, or import with the decimal separator set to ','.")
                % {"value": text, "fixed": text.replace(",", ".")},
            )
        if not NUMBER.fullmatch(text):
            raise ValueInvalid("invalid_number", _("%(value)s is not a number. Write digits with '.' as decimal separator, such as 12.5.") % {"value": text})
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueInvalid("invalid_number", _("%(value)s is not a number.") % {"value": text}) from None

    if abs(number) >= MAX_NUMBER:
        raise ValueInvalid("number_too_large", _("%(value)s is too large; Kontor stores numbers below 10^20.") % {"value": data})
    if attribute.decimals_allowed is False and number != number.to_integral_value():
        raise ValueInvalid(
            "decimals_not_allowed",
            _("%(value)s is not a whole number, and attribute %(code)s allows no decimals. Round it, or allow decimals on the attribute in Akeneo.")
            % {"value": data, "code": attribute.code},
        )
    if attribute.negative_allowed is False and number < 0:
        raise ValueInvalid(
            "negative_not_allowed",
            _("%(value)s is negative, and attribute %(code)s allows no negative values.") % {"value": data, "code": attribute.code},
        )
    return number.normalize() if number == number.to_integral_value() else number


def parse_boolean(data):
    if isinstance(data, bool):
        return data
    text = str(data).strip().lower()
    if text in ("1", "true", "yes"):
        return True
    if text in ("0", "false", "no"):
        return False
    raise ValueInvalid("invalid_boolean", _("%(value)s is not a yes/no value. Write 1 or 0.") % {"value": data})


def parse_date(data):
    text = str(data).strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise ValueInvalid("invalid_date", _("%(value)s is not a date. Write it as YYYY-MM-DD, such as 2024-07-31.") % {"value": text}) from None


def clean_text(data):
    """Return text without NUL characters, which PostgreSQL cannot store, and whether any were removed."""
    text = data if isinstance(data, str) else str(data)
    if "\x00" in text:
        return text.replace("\x00", ""), True
    return text, False


def parse_prices(data, attribute, decimal_separator="."):
    """Return a price collection as [{"amount": "15.50", "currency": "EUR"}], sorted by currency."""
    if not isinstance(data, list):
        raise ValueInvalid("invalid_price", _("%(value)s is not a list of prices with amount and currency.") % {"value": data})
    prices = {}
    for entry in data:
        amount, currency = entry.get("amount"), entry.get("currency")
        if amount in (None, ""):
            continue
        try:
            validate_currency(currency)
        except ValidationError:
            raise ValueInvalid("unknown_currency", _("Unknown currency %(value)s. Use an ISO 4217 code such as EUR or USD.") % {"value": currency}) from None
        number = parse_number(amount, attribute, decimal_separator)
        if number < 0:
            raise ValueInvalid("negative_price", _("Price %(value)s %(currency)s is negative; enter zero or more.") % {"value": amount, "currency": currency})
        try:
            validate_amount_precision(number, currency)
        except ValidationError:
            raise ValueInvalid("too_precise", ValidationMessage(validate_amount_precision, number, currency)) from None
        prices[currency] = str(quantize(number, currency))
    return [{"amount": prices[currency], "currency": currency} for currency in sorted(prices)]


def typed_columns(attribute, data, options, decimal_separator="."):
    """Return the AttributeValue columns for `data`, as a dict of JSON-safe values.

    `options` maps (attribute code, option code) to an option id, with a second entry under
    the lower-cased codes because Akeneo compares codes without regard to case.
    Raises ValueInvalid for a value the attribute cannot hold.
    """
    kind = attribute.type
    if kind in (AttributeType.TEXT, AttributeType.RICH_TEXT, AttributeType.IDENTIFIER):
        return {"text_value": data if isinstance(data, str) else str(data)}
    if kind == AttributeType.NUMBER:
        return {"number_value": str(parse_number(data, attribute, decimal_separator))}
    if kind == AttributeType.BOOLEAN:
        return {"boolean_value": parse_boolean(data)}
    if kind == AttributeType.DATE:
        return {"date_value": parse_date(data).isoformat()}
    if kind == AttributeType.SINGLE_SELECT:
        return {"option": option_code(attribute, str(data).strip(), options)}
    if kind == AttributeType.MULTI_SELECT:
        codes = data if isinstance(data, list) else [part for part in str(data).split(",") if part]
        return {"json_value": [option_code(attribute, str(code).strip(), options) for code in codes]}
    if kind == AttributeType.MEASUREMENT:
        if not isinstance(data, dict):
            raise ValueInvalid("invalid_metric", _("%(value)s is not a measurement with amount and unit.") % {"value": data})
        amount, unit = data.get("amount"), (data.get("unit") or "").strip()
        if amount in (None, ""):
            return None
        number = parse_number(amount, attribute, decimal_separator)
        if not unit:
            raise ValueInvalid(
                "missing_unit",
                _("Measurement %(value)s has no unit. Add the unit, such as %(example)s, in the -unit column.")
                % {"value": amount, "example": attribute.default_unit or "KILOGRAM"},
            )
        return {"number_value": str(number), "unit": unit}
    if kind == AttributeType.PRICE:
        prices = parse_prices(data, attribute, decimal_separator)
        return {"json_value": prices} if prices else None
    if kind == AttributeType.MEDIA:
        return {"media": str(data).strip()}
    raise ValueInvalid("unsupported_type", _("Attribute %(code)s has a type Kontor cannot store.") % {"code": attribute.code})


def option_code(attribute, code, options):
    """Return the stored spelling of an option code; raise ValueInvalid when it does not exist."""
    stored = options.get((attribute.code, code)) or options.get((attribute.code.lower(), code.lower()))
    if stored is None:
        raise ValueInvalid(
            "unknown_option",
            _("Option %(value)s does not exist for attribute %(code)s. Add it to the attribute's options in Akeneo (attribute_options.csv), or correct the code.")
            % {"value": code, "code": attribute.code},
        )
    return stored
