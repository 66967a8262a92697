from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from core.validators import validate_gtin


class ProductType(TimeStampedModel):
    """A kind of product with its attributes, such as "camera" (an Akeneo family)."""

    code = models.SlugField(_("code"), max_length=100, unique=True)
    labels = models.JSONField(_("labels"), default=dict, blank=True)
    attributes = models.ManyToManyField("catalog.Attribute", verbose_name=_("attributes"), blank=True, related_name="product_types")
    label_attribute = models.ForeignKey("catalog.Attribute", verbose_name=_("label attribute"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("product type")
        verbose_name_plural = _("product types")
        ordering = ["code"]

    def __str__(self):
        return next(iter((self.labels or {}).values()), "") or self.code


class VariantScheme(TimeStampedModel):
    """How the products of one type vary: the axes on each level (an Akeneo family variant)."""

    code = models.SlugField(_("code"), max_length=100, unique=True)
    product_type = models.ForeignKey(ProductType, verbose_name=_("product type"), on_delete=models.CASCADE, related_name="variant_schemes")
    labels = models.JSONField(_("labels"), default=dict, blank=True)

    class Meta:
        verbose_name = _("variant scheme")
        verbose_name_plural = _("variant schemes")
        ordering = ["code"]

    def __str__(self):
        return next(iter((self.labels or {}).values()), "") or self.code

    @property
    def levels(self):
        return max((axis.level for axis in self.axes.all()), default=0)


class VariantAxis(models.Model):
    """One attribute that distinguishes variants on a level, such as color on level 1."""

    scheme = models.ForeignKey(VariantScheme, verbose_name=_("variant scheme"), on_delete=models.CASCADE, related_name="axes")
    level = models.PositiveSmallIntegerField(_("level"), help_text=_("1 for the first level of variation, 2 for the second."))
    attribute = models.ForeignKey("catalog.Attribute", verbose_name=_("attribute"), on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("variant axis")
        verbose_name_plural = _("variant axes")
        ordering = ["scheme", "level", "position"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "attribute"], name="variant_axis_unique_attribute"),
            models.CheckConstraint(condition=Q(level__in=[1, 2]), name="variant_axis_level_1_or_2"),
        ]

    def __str__(self):
        return f"{self.scheme.code} L{self.level}: {self.attribute.code}"


class ProductModel(TimeStampedModel):
    """The parent of variants: holds what they share. A sub-model (level 2) has a parent model."""

    code = models.CharField(_("code"), max_length=255, unique=True)
    product_type = models.ForeignKey(ProductType, verbose_name=_("product type"), on_delete=models.PROTECT, related_name="product_models")
    variant_scheme = models.ForeignKey(VariantScheme, verbose_name=_("variant scheme"), null=True, blank=True, on_delete=models.PROTECT, related_name="product_models")
    parent = models.ForeignKey("self", verbose_name=_("parent model"), null=True, blank=True, on_delete=models.CASCADE, related_name="sub_models")
    categories = models.ManyToManyField("catalog.Category", verbose_name=_("categories"), blank=True, related_name="product_models")

    class Meta:
        verbose_name = _("product model")
        verbose_name_plural = _("product models")
        ordering = ["code"]

    def __str__(self):
        return self.code

    @property
    def level(self):
        return 1 if self.parent_id else 0


def unnamed_product_name(sku):
    """Return the name that a product without one gets, "[SKU]", as the Akeneo UI shows such a product."""
    return f"[{sku}]"


class Product(TimeStampedModel):
    """A sellable item with its SKU; a variant when it has a product model as parent."""

    sku = models.CharField(_("SKU"), max_length=100, unique=True)
    # NULL rather than "" for a missing GTIN, so the unique constraint ignores products without one.
    gtin = models.CharField(_("GTIN"), max_length=14, null=True, blank=True, validators=[validate_gtin], help_text=_("GTIN-8, -12 (UPC), -13 (EAN) or -14 with its check digit."))  # noqa: DJ001
    product_type = models.ForeignKey(ProductType, verbose_name=_("product type"), null=True, blank=True, on_delete=models.PROTECT, related_name="products")
    parent = models.ForeignKey(ProductModel, verbose_name=_("product model"), null=True, blank=True, on_delete=models.PROTECT, related_name="variants")
    categories = models.ManyToManyField("catalog.Category", verbose_name=_("categories"), blank=True, related_name="products")
    enabled = models.BooleanField(_("enabled"), default=True)
    is_deleted = models.BooleanField(_("deleted"), default=False, help_text=_("Kept for order history after the source system deleted it."))

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["sku"]
        constraints = [
            # Several products without a GTIN are fine; two with the same GTIN are not.
            models.UniqueConstraint(fields=["gtin"], condition=Q(gtin__isnull=False), name="product_gtin_unique"),
            models.CheckConstraint(condition=~Q(sku=""), name="product_sku_not_empty"),
        ]

    def __str__(self):
        return self.sku

    def name(self, locale=None):
        translations = {t.locale: t.name for t in self.translations.all()}
        if locale and translations.get(locale):
            return translations[locale]
        return next((name for name in translations.values() if name), "")


class ProductTranslation(models.Model):
    """The name and description of a product in one locale."""

    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="translations")
    locale = models.CharField(_("locale"), max_length=10, help_text=_("Such as de_DE or en_US."))
    name = models.CharField(_("name"), max_length=500, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("product translation")
        verbose_name_plural = _("product translations")
        ordering = ["product", "locale"]
        constraints = [models.UniqueConstraint(fields=["product", "locale"], name="product_translation_unique_locale")]

    def __str__(self):
        return f"{self.product.sku} [{self.locale}]"
