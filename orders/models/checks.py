"""Checks behind the clean() methods of the order models.

Each helper adds a message under the field's name to an `errors` dict, so one clean() reports
every problem at once and each message names the field's value.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.money import (
    LocalizedAmount,
    is_known_currency,
    quantize,
    to_decimal,
    validate_amount_precision,
)
from orders.money import format_amount_with_currency


def require_positive(errors, field, value):
    if value is not None and value <= 0:
        errors.setdefault(field, []).append(_("%(value)s is not greater than zero. Enter a positive number.") % {"value": value})


def require_not_negative(errors, field, value):
    if value is not None and value < 0:
        errors.setdefault(field, []).append(_("%(value)s is negative; enter zero or more.") % {"value": value})


def require_precision(errors, field, value, currency):
    """Add an error when `value` has more decimal places than `currency` allows.

    An unknown currency is reported by the currency field itself, so it is skipped here.
    """
    if value is None or not is_known_currency(currency):
        return
    try:
        validate_amount_precision(value, currency)
    except ValidationError as error:
        errors.setdefault(field, []).extend(error.messages)


def require_sum(errors, field, gross, net, tax, *, currency):
    """Add an error unless gross is net plus tax.

    The message shows the amounts with the places of `currency`, such as "11.90 EUR". With a
    missing or unknown currency it shows them as given, because there are no places to round to.
    """
    if None in (gross, net, tax) or gross == net + tax:
        return
    amounts = {"gross": gross, "net": net, "tax": tax}
    if is_known_currency(currency):
        amounts = {name: format_amount_with_currency(amount, currency) for name, amount in amounts.items()}
    else:
        amounts = {name: LocalizedAmount(to_decimal(amount)) for name, amount in amounts.items()}
    errors.setdefault(field, []).append(_("Gross %(gross)s is not net %(net)s plus tax %(tax)s.") % amounts)


def totals_errors(order, lines, tax_lines, *, round_once):
    """Compare an order's totals with its lines, shipping and tax lines.

    Per-line rounding: the rounded line totals add up to the order total exactly. Per-order
    rounding (`round_once`): the unrounded line totals add up, then are rounded once.
    The comparison uses the amounts as computed, and only the messages show them with the currency's places.
    """
    errors = {}
    if not lines or not is_known_currency(order.currency):
        return errors

    for part in ("net", "tax", "gross"):
        expected = sum((getattr(line, f"total_{part}") for line in lines), Decimal(0)) + getattr(order, f"shipping_{part}")
        if round_once:
            expected = quantize(expected, order.currency)
        stated = getattr(order, f"total_{part}")
        if stated is not None and stated != expected:
            errors[f"total_{part}"] = _(
                "Order total %(stated)s does not match its lines and shipping, which add up to %(expected)s. "
                "Check the order in the source system."
            ) % {
                "stated": format_amount_with_currency(stated, order.currency),
                "expected": format_amount_with_currency(expected, order.currency),
            }

    if tax_lines:
        tax_sum = sum((tax_line.tax for tax_line in tax_lines), Decimal(0))
        if order.total_tax is not None and tax_sum != order.total_tax:
            errors.setdefault("total_tax", _("The tax lines add up to %(sum)s but the order's total tax is %(total)s.") % {
                "sum": format_amount_with_currency(tax_sum, order.currency),
                "total": format_amount_with_currency(order.total_tax, order.currency),
            })
    return errors
