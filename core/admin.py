"""Admin helpers shared by the canonical apps: money columns and read-only history."""

from decimal import Decimal

from django.contrib import admin
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from core.money import is_known_currency, quantize


def format_money(amount, currency):
    """Format an amount with its currency code in the active language, such as "1.234,50 EUR".

    Amounts are shown with the currency's minor unit (0 places for JPY, 3 for KWD); an amount
    that carries more places, such as a unit price before rounding, keeps them all.
    """
    if amount is None:
        return "-"
    amount = Decimal(amount)
    if is_known_currency(currency) and quantize(amount, currency) == amount:
        amount = quantize(amount, currency)
    else:
        amount = amount.normalize() if amount == amount.to_integral_value() else amount
    return f"{number_format(amount, force_grouping=True)} {currency}"


def money_column(field, description, currency_path="currency"):
    """Build an admin column that shows `field` with the currency found at `currency_path`.

    `currency_path` is an attribute path such as "order.currency" for a line whose
    currency is the order's; use list_select_related so it costs no extra query.
    """

    def column(self, obj):
        currency = obj
        for part in currency_path.split("."):
            currency = getattr(currency, part)
        return format_money(getattr(obj, field), currency)

    column.short_description = description
    column.admin_order_field = field
    column.__name__ = f"{field}_display"
    return column


class ReadOnlyInlineMixin:
    """An inline that shows rows without letting anyone add, change or delete them."""

    can_delete = False
    extra = 0
    max_num = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdminMixin:
    """A model admin for history and ledger rows: list and view only.

    These rows are written by services in the same transaction as the change they record,
    so editing or deleting one here would make the history lie.
    """

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.site_header = _("Kontor administration")
admin.site.site_title = _("Kontor")
admin.site.index_title = _("Integration hub")
