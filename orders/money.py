"""Amounts as the order messages show them, for the services and the model checks alike."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from core.money import format_amount, is_known_currency, validate_amount_precision
from core.translation import Translatable

# The messages of core.money's currency and precision checks, with the same msgids. core.money
# renders them in the active language at once, but a worker's sync error stores them in every
# language, so the order checks build them from these lazy templates instead.
UNKNOWN_CURRENCY = gettext_lazy("Unknown currency code %(value)s. Use an ISO 4217 code such as EUR or USD.")
TOO_PRECISE = gettext_lazy(
    "Amount %(value)s has more decimal places than %(currency)s allows "
    "(%(places)s). Round it to the currency's minor unit."
)


class AmountWithCurrency:
    """An amount and its currency code in a message, rendered in the active language, such as "20,00 EUR"."""

    def __init__(self, amount, currency):
        self.amount = amount
        self.currency = currency

    def __str__(self):
        return f"{self.amount} {self.currency}"


def format_amount_with_currency(amount, currency):
    """Return an amount and its currency for a message, such as "20.00 EUR" in English.

    format_amount keeps the digits finer than the currency's minor unit, so two amounts that
    compare unequal never read the same.
    """
    return AmountWithCurrency(format_amount(amount, currency), currency)


def unknown_currency_errors(code):
    """Return [the Translatable that names an unknown currency code], or [] for a known one."""
    if is_known_currency(code):
        return []
    return [Translatable(UNKNOWN_CURRENCY, value=code)]


def precision_errors(amount, currency):
    """Return the messages of core.money.validate_amount_precision, [] when `amount` fits `currency`.

    Too many decimal places is a Translatable. Any other problem (a value that is not a number)
    keeps core.money's message in the active language.
    """
    try:
        validate_amount_precision(amount, currency)
    except ValidationError as error:
        if error.code == "too_precise":
            return [Translatable(TOO_PRECISE, **error.params)]
        return error.messages
    return []
