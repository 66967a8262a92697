from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from core.money import validate_currency


class Channel(TimeStampedModel):
    """A sales channel or publication scope: a shop, a marketplace account, a print catalog.

    Scoped attribute values, channel prices and stock buffers refer to a channel by its code,
    which is how PIMs such as Akeneo name their scopes.
    """

    code = models.SlugField(_("code"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200)
    locales = models.JSONField(_("locales"), default=list, blank=True, help_text=_("Locale codes this channel publishes, such as de_DE."))
    currencies = models.JSONField(_("currencies"), default=list, blank=True, help_text=_("ISO 4217 codes this channel sells in."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["code"]

    def __str__(self):
        return self.name or self.code

    def clean(self):
        errors = {}
        if not isinstance(self.currencies, list):
            errors["currencies"] = [_("Enter a list of currency codes, such as [\"EUR\"].")]
        else:
            for code in self.currencies:
                try:
                    validate_currency(code)
                except ValidationError as error:
                    errors.setdefault("currencies", []).extend(error.messages)
        if not isinstance(self.locales, list):
            errors["locales"] = [_("Enter a list of locale codes, such as [\"de_DE\"].")]
        if errors:
            raise ValidationError(errors)

    def sells_in(self, currency):
        return not self.currencies or currency in self.currencies
