from django.db import models
from django.utils.translation import gettext_lazy as _

from integrations.models.connections import Connection


class Mapping(models.Model):
    """Translation between a Kontor code and a code in one connection.

    One Kontor code maps to one external code per connection (so a push is unambiguous), and
    several Kontor codes may share an external code, as when a marketplace has coarser categories.
    """

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+", verbose_name=_("connection"))
    canonical_code = models.CharField(_("Kontor code"), max_length=255)
    external_code = models.CharField(_("external code"), max_length=255)
    external_label = models.CharField(_("external label"), max_length=255, blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.canonical_code} ↔ {self.external_code}"


class CategoryMapping(Mapping):
    class Meta:
        verbose_name = _("category mapping")
        verbose_name_plural = _("category mappings")
        ordering = ["connection", "canonical_code"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "canonical_code"], name="integrations_category_mapping_unique"),
        ]


class AttributeMapping(Mapping):
    class Meta:
        verbose_name = _("attribute mapping")
        verbose_name_plural = _("attribute mappings")
        ordering = ["connection", "canonical_code"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "canonical_code"], name="integrations_attribute_mapping_unique"),
        ]


class ValueMapping(Mapping):
    """Value of one attribute, such as colour "red" ↔ "Rot"."""

    attribute = models.CharField(_("Kontor attribute"), max_length=255)

    class Meta:
        verbose_name = _("value mapping")
        verbose_name_plural = _("value mappings")
        ordering = ["connection", "attribute", "canonical_code"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "attribute", "canonical_code"], name="integrations_value_mapping_unique"),
        ]
