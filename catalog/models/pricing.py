from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import CurrencyField, MoneyField
from core.models import TimeStampedModel
from core.money import validate_amount_precision, validate_currency


class PriceList(TimeStampedModel):
    """A named set of prices, such as retail, B2B or a sale."""

    code = models.SlugField(_("code"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        ordering = ["code"]

    def __str__(self):
        return self.name or self.code


class PriceQuerySet(models.QuerySet):
    def current(self, channel, at=None):
        """Return the prices that apply on `channel` at `at` (now): its own and the general ones in their window."""
        at = at or timezone.now()
        return self.filter(
            Q(channel=channel) | Q(channel__isnull=True),
            Q(valid_from__isnull=True) | Q(valid_from__lte=at),
            Q(valid_until__isnull=True) | Q(valid_until__gt=at),
        )


# Among current prices, the one that applies comes first: the channel's own before the general
# one, then the window that started last.
APPLIES_FIRST = (F("channel_id").asc(nulls_last=True), F("valid_from").desc(nulls_last=True))


class Price(TimeStampedModel):
    """The price of a product in one price list, channel and currency, for a validity window.

    The amount is net or gross as `is_gross` says, never both, so no tax rate is guessed.
    An empty channel means the price applies to every channel without its own.
    """

    product = models.ForeignKey("catalog.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="prices")
    price_list = models.ForeignKey(PriceList, verbose_name=_("price list"), on_delete=models.CASCADE, related_name="prices")
    channel = models.ForeignKey("catalog.Channel", verbose_name=_("channel"), null=True, blank=True, on_delete=models.CASCADE, related_name="prices")
    currency = CurrencyField()
    amount = MoneyField(_("amount"))
    is_gross = models.BooleanField(_("gross (tax included)"), default=True)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)

    objects = PriceQuerySet.as_manager()

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        ordering = ["product", "price_list", "currency"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="price_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_from__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="price_valid_until_after_from",
            ),
            models.UniqueConstraint(
                fields=["product", "price_list", "channel", "currency", "valid_from"],
                name="price_unique_window_start",
                nulls_distinct=False,
            ),
        ]
        indexes = [models.Index(fields=["price_list", "currency", "amount"], name="price_list_currency_amount_idx")]

    def __str__(self):
        return f"{self.product} {self.amount} {self.currency}"

    def clean(self):
        errors = {}
        try:
            validate_currency(self.currency)
        except ValidationError as error:
            errors["currency"] = error.messages
        else:
            if self.amount is not None:
                try:
                    validate_amount_precision(self.amount, self.currency)
                except ValidationError as error:
                    errors["amount"] = error.messages
        if self.amount is not None and self.amount < 0:
            errors["amount"] = _("Price %(value)s is negative; enter zero or more.") % {"value": self.amount}
        if self.channel_id and self.currency and not self.channel.sells_in(self.currency):
            errors.setdefault("currency", _("Channel %(channel)s does not sell in %(value)s. Add the currency to the channel first.") % {"channel": self.channel.name or self.channel.code, "value": self.currency})
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            errors["valid_until"] = _("The price must end after it starts.")
        if errors:
            raise ValidationError(errors)
