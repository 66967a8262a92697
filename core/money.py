"""Money as Decimal with its ISO 4217 currency, rounded to the currency's minor unit.

The minor units come from CLDR through babel, so a currency with no minor unit (JPY),
the usual two (EUR) and three (KWD) are all handled by the same code. No value passes
through a float.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.core import get_global
from babel.numbers import get_currency_precision
from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext as _

# Currencies CLDR lists as in use today, for validating codes coming from external systems.
_KNOWN_CURRENCIES = frozenset(get_global("all_currencies")) | frozenset(
    code for code in get_global("currency_fractions") if code != "DEFAULT"
)


def is_known_currency(code):
    return isinstance(code, str) and len(code) == 3 and code.upper() == code and code in _KNOWN_CURRENCIES


def validate_currency(code):
    """Raise ValidationError unless `code` is an upper-case ISO 4217 currency code."""
    if not is_known_currency(code):
        raise ValidationError(
            _("Unknown currency code %(value)s. Use an ISO 4217 code such as EUR or USD."),
            code="unknown_currency",
            params={"value": code},
        )


def minor_units(currency):
    """Return how many decimal places `currency` has (0 for JPY, 2 for EUR, 3 for KWD)."""
    validate_currency(currency)
    return get_currency_precision(currency)


def to_decimal(value):
    """Convert an int, str or Decimal to Decimal. Floats are rejected because they are inexact."""
    if isinstance(value, float):
        raise TypeError("Money must not be a float; pass a Decimal or a string such as '19.99'.")
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value).strip())
    except InvalidOperation as error:
        raise ValidationError(
            _("%(value)s is not a number."), code="invalid_amount", params={"value": value}
        ) from error


def quantize(amount, currency, rounding=ROUND_HALF_UP):
    """Round `amount` to the minor unit of `currency`, half up unless `rounding` names another mode."""
    exponent = Decimal(1).scaleb(-minor_units(currency))
    return to_decimal(amount).quantize(exponent, rounding=rounding)


class LocalizedAmount:
    """An amount in a message, written with the decimal and group separators of the language it is rendered in.

    The digits are fixed when the object is made, and the separators when the message is
    rendered. So a sync error stored in each language reads "1,234.50" in English and "1.234,50"
    in German.
    """

    def __init__(self, amount):
        self.amount = amount

    def __str__(self):
        return number_format(self.amount, use_l10n=True, force_grouping=True)

    def __repr__(self):
        return f"LocalizedAmount({self.amount!r})"


def format_amount(amount, currency):
    """Return `amount` for a message: with the minor units of `currency`, more digits only where it has them.

    Amounts pass through fields with four decimal places, so 19 reads "19.0000" unformatted.
    """
    return LocalizedAmount(to_currency_places(amount, currency))


def to_currency_places(amount, currency):
    """Return `amount` with the decimal places of `currency`, or with all of its own where it has more.

    So 19.0000 EUR becomes 19.00 and 150.0000 JPY becomes 150, while a net line amount of
    8.4034 EUR keeps its digits, because rounding it would change its value.
    """
    amount = to_decimal(amount)
    rounded = quantize(amount, currency)
    return rounded if rounded == amount else amount.normalize()


def validate_amount_precision(amount, currency):
    """Raise ValidationError if `amount` is finer than the minor unit of `currency`."""
    amount = to_decimal(amount)
    places = minor_units(currency)
    if amount != amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):
        raise ValidationError(
            _(
                "Amount %(value)s has more decimal places than %(currency)s allows "
                "(%(places)s). Round it to the currency's minor unit."
            ),
            code="too_precise",
            params={"value": LocalizedAmount(amount), "currency": currency, "places": places},
        )


def from_minor_units(value, currency):
    """Convert an integer count of minor units (Stripe's representation) to a Decimal amount."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(
            _("Minor-unit amount %(value)s is not an integer."),
            code="invalid_amount",
            params={"value": value},
        )
    return Decimal(value).scaleb(-minor_units(currency))


def to_minor_units(amount, currency):
    """Convert a Decimal amount to an integer count of minor units, rejecting finer values."""
    validate_amount_precision(amount, currency)
    return int(to_decimal(amount).scaleb(minor_units(currency)))


class Money:
    """An immutable amount with its currency. Arithmetic across currencies is an error."""

    __slots__ = ("amount", "currency")

    def __init__(self, amount, currency):
        validate_currency(currency)
        object.__setattr__(self, "amount", to_decimal(amount))
        object.__setattr__(self, "currency", currency)

    def __setattr__(self, name, value):
        raise AttributeError("Money is immutable")

    def _check(self, other):
        if not isinstance(other, Money) or other.currency != self.currency:
            raise ValueError(f"Cannot combine {self!r} with {other!r}: currencies differ.")

    def __add__(self, other):
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other):
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor):
        if isinstance(factor, float):
            raise TypeError("Multiply money by an int or Decimal, not a float.")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __eq__(self, other):
        return isinstance(other, Money) and (self.amount, self.currency) == (other.amount, other.currency)

    def __hash__(self):
        return hash((self.amount, self.currency))

    def quantized(self):
        return Money(quantize(self.amount, self.currency), self.currency)

    def __repr__(self):
        return f"Money('{self.amount}', '{self.currency}')"

    def __str__(self):
        return f"{self.amount} {self.currency}"
