"""Amounts as the order messages show them, for the services and the model checks alike."""

from core.money import format_amount


def format_amount_with_currency(amount, currency):
    """Format an amount and its currency for a message, such as "20.00 EUR".

    format_amount keeps the digits finer than the currency's minor unit, so two amounts that
    compare unequal never read the same.
    """
    return f"{format_amount(amount, currency)} {currency}"
