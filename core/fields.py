"""Model fields shared by the canonical apps, so money and codes are stored one way everywhere."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.money import validate_currency

# Enough for any order total in any currency, with room for four decimals in unit prices
# before they are rounded to the currency's minor unit.
MONEY_MAX_DIGITS = 19
MONEY_DECIMAL_PLACES = 4


class MoneyField(models.DecimalField):
    """A Decimal amount; the model stores its currency in a CurrencyField next to it."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", MONEY_MAX_DIGITS)
        kwargs.setdefault("decimal_places", MONEY_DECIMAL_PLACES)
        super().__init__(*args, **kwargs)


class CurrencyField(models.CharField):
    """An ISO 4217 currency code such as EUR."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("validators", [validate_currency])
        kwargs.setdefault("verbose_name", _("currency"))
        super().__init__(*args, **kwargs)


class QuantityField(models.DecimalField):
    """A stock or order quantity. Decimal so that goods sold by weight or length fit too."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 3)
        super().__init__(*args, **kwargs)
