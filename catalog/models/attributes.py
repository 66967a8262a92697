from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import TimeStampedModel
from core.money import validate_amount_precision, validate_currency


class AttributeType(models.TextChoices):
    IDENTIFIER = "identifier", _("identifier")
    TEXT = "text", _("text")
    RICH_TEXT = "rich_text", _("rich text")
    NUMBER = "number", pgettext_lazy("attribute type", "number")
    BOOLEAN = "boolean", _("yes/no")
    DATE = "date", _("date")
    SINGLE_SELECT = "single_select", _("single select")
    MULTI_SELECT = "multi_select", _("multi select")
    MEASUREMENT = "measurement", _("measurement with unit")
    PRICE = "price", _("price")
    MEDIA = "media", _("media reference")


class Attribute(TimeStampedModel):
    """A typed product property. Localizable values differ per locale, scopable ones per channel."""

    code = models.SlugField(_("code"), max_length=100, unique=True)
    type = models.CharField(_("type"), max_length=20, choices=AttributeType.choices)
    labels = models.JSONField(_("labels"), default=dict, blank=True)
    group = models.CharField(_("group"), max_length=100, blank=True)
    localizable = models.BooleanField(_("localizable"), default=False)
    scopable = models.BooleanField(_("scopable per channel"), default=False)
    unique = models.BooleanField(_("unique"), default=False)
    decimals_allowed = models.BooleanField(_("decimals allowed"), default=True)
    negative_allowed = models.BooleanField(_("negative allowed"), default=True)
    unit_family = models.CharField(_("unit family"), max_length=50, blank=True, help_text=_("For measurements, such as Weight or Length."))
    default_unit = models.CharField(_("default unit"), max_length=50, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("attribute")
        verbose_name_plural = _("attributes")
        ordering = ["position", "code"]

    def __str__(self):
        return next(iter((self.labels or {}).values()), "") or self.code


class AttributeOption(models.Model):
    """A choice of a single or multi select attribute."""

    attribute = models.ForeignKey(Attribute, verbose_name=_("attribute"), on_delete=models.CASCADE, related_name="options")
    code = models.CharField(_("code"), max_length=255)
    labels = models.JSONField(_("labels"), default=dict, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("attribute option")
        verbose_name_plural = _("attribute options")
        ordering = ["attribute", "position", "code"]
        constraints = [models.UniqueConstraint(fields=["attribute", "code"], name="attribute_option_unique_code")]

    def __str__(self):
        return next(iter((self.labels or {}).values()), "") or self.code


class AttributeValue(models.Model):
    """One value of an attribute on a product or a product model, for a locale and channel.

    Exactly one typed column is used, chosen by the attribute's type. An empty locale or
    channel means the value applies to all of them; empty strings instead of NULL keep the
    unique constraints effective.
    """

    product = models.ForeignKey("catalog.Product", verbose_name=_("product"), null=True, blank=True, on_delete=models.CASCADE, related_name="attribute_values")
    product_model = models.ForeignKey("catalog.ProductModel", verbose_name=_("product model"), null=True, blank=True, on_delete=models.CASCADE, related_name="attribute_values")
    attribute = models.ForeignKey(Attribute, verbose_name=_("attribute"), on_delete=models.CASCADE, related_name="values")
    locale = models.CharField(_("locale"), max_length=10, blank=True, default="")
    channel = models.CharField(_("channel"), max_length=100, blank=True, default="")

    text_value = models.TextField(_("text"), blank=True, default="")
    number_value = models.DecimalField(_("number"), max_digits=30, decimal_places=10, null=True, blank=True)
    boolean_value = models.BooleanField(_("yes/no"), null=True, blank=True)
    date_value = models.DateField(_("date"), null=True, blank=True)
    option = models.ForeignKey(AttributeOption, verbose_name=_("option"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Multi-select option codes, or a price collection as [{"amount": "9.99", "currency": "EUR"}].
    json_value = models.JSONField(_("structured value"), null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=50, blank=True, default="")
    media = models.ForeignKey("catalog.MediaAsset", verbose_name=_("media"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("attribute value")
        verbose_name_plural = _("attribute values")
        constraints = [
            models.CheckConstraint(
                condition=(Q(product__isnull=False) & Q(product_model__isnull=True)) | (Q(product__isnull=True) & Q(product_model__isnull=False)),
                name="attribute_value_one_owner",
            ),
            models.UniqueConstraint(fields=["product", "attribute", "locale", "channel"], condition=Q(product__isnull=False), name="attribute_value_unique_product"),
            models.UniqueConstraint(fields=["product_model", "attribute", "locale", "channel"], condition=Q(product_model__isnull=False), name="attribute_value_unique_model"),
        ]
        indexes = [models.Index(fields=["attribute", "option"], name="attribute_value_option_idx")]

    def __str__(self):
        scope = "/".join(part for part in (self.locale, self.channel) if part)
        return f"{self.attribute.code}{f' [{scope}]' if scope else ''}: {self.value}"

    @property
    def value(self):
        kind = self.attribute.type
        if kind in (AttributeType.TEXT, AttributeType.RICH_TEXT, AttributeType.IDENTIFIER):
            return self.text_value
        if kind == AttributeType.NUMBER:
            return self.number_value
        if kind == AttributeType.MEASUREMENT:
            return (self.number_value, self.unit)
        if kind == AttributeType.BOOLEAN:
            return self.boolean_value
        if kind == AttributeType.DATE:
            return self.date_value
        if kind == AttributeType.SINGLE_SELECT:
            return self.option.code if self.option_id else None
        if kind in (AttributeType.MULTI_SELECT, AttributeType.PRICE):
            return self.json_value
        if kind == AttributeType.MEDIA:
            return self.media
        return None

    def clean(self):
        if self.attribute_id is None:
            # The required-field check already reports the missing attribute.
            return
        attribute = self.attribute
        errors = {}
        if attribute.localizable and not self.locale:
            errors["locale"] = _("Attribute %(code)s is localizable; enter a locale.") % {"code": attribute.code}
        if not attribute.localizable and self.locale:
            errors["locale"] = _("Attribute %(code)s is not localizable; leave the locale empty.") % {"code": attribute.code}
        if attribute.scopable and not self.channel:
            errors["channel"] = _("Attribute %(code)s is scoped per channel; enter a channel.") % {"code": attribute.code}
        if not attribute.scopable and self.channel:
            errors["channel"] = _("Attribute %(code)s is not scoped per channel; leave the channel empty.") % {"code": attribute.code}
        errors.update(self._type_errors(attribute))
        if errors:
            raise ValidationError(errors)

    def _type_errors(self, attribute):
        kind = attribute.type
        if kind in (AttributeType.NUMBER, AttributeType.MEASUREMENT) and self.number_value is not None:
            number = Decimal(self.number_value)
            if not attribute.decimals_allowed and number != number.to_integral_value():
                return {"number_value": _("%(value)s is not a whole number, and attribute %(code)s allows no decimals.") % {"value": number, "code": attribute.code}}
            if not attribute.negative_allowed and number < 0:
                return {"number_value": _("%(value)s is negative, and attribute %(code)s allows no negative values.") % {"value": number, "code": attribute.code}}
        if kind == AttributeType.MEASUREMENT and self.number_value is not None and not self.unit:
            return {"unit": _("Measurement %(code)s needs a unit, such as KILOGRAM.") % {"code": attribute.code}}
        if kind == AttributeType.SINGLE_SELECT and self.option_id and self.option.attribute_id != attribute.pk:
            return {"option": _("Option %(option)s belongs to another attribute than %(code)s.") % {"option": self.option.code, "code": attribute.code}}
        if kind == AttributeType.MULTI_SELECT and self.json_value is not None:
            known = set(attribute.options.values_list("code", flat=True))
            unknown = [code for code in self.json_value if code not in known]
            if unknown:
                return {"json_value": _("Unknown option %(value)s for attribute %(code)s. Create the option first.") % {"value": ", ".join(unknown), "code": attribute.code}}
        if kind == AttributeType.PRICE and self.json_value is not None:
            for entry in self.json_value:
                try:
                    validate_currency(entry.get("currency"))
                    validate_amount_precision(entry.get("amount"), entry["currency"])
                except ValidationError as error:
                    return {"json_value": error.messages}
        if kind == AttributeType.DATE and self.date_value is not None and not isinstance(self.date_value, date):
            return {"date_value": _("%(value)s is not a date.") % {"value": self.date_value}}
        return {}
