"""Amounts as the order messages show them, for the services and the model checks alike."""

from core.money import format_amount


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
