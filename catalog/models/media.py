from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import TimeStampedModel


class MediaRole(models.TextChoices):
    MAIN = "main", _("main image")
    GALLERY = "gallery", _("gallery image")
    THUMBNAIL = "thumbnail", _("thumbnail")
    DOCUMENT = "document", pgettext_lazy("media role", "document")


class MediaAsset(TimeStampedModel):
    """A stored image or file. The checksum lets an unchanged file be recognised and not fetched twice."""

    file = models.FileField(_("file"), upload_to="catalog/%Y/%m/", max_length=500)
    checksum = models.CharField(_("SHA-256 checksum"), max_length=64, unique=True)
    original_name = models.CharField(_("original file name"), max_length=500, blank=True)
    source_url = models.CharField(_("source URL or path"), max_length=1000, blank=True)
    mime_type = models.CharField(_("MIME type"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    alt_texts = models.JSONField(_("alt text per locale"), default=dict, blank=True)

    class Meta:
        verbose_name = _("media asset")
        verbose_name_plural = _("media assets")
        ordering = ["-created_at"]

    def __str__(self):
        return self.original_name or self.checksum[:12]


class ProductMedia(models.Model):
    """A media asset attached to a product or product model in a role and position."""

    product = models.ForeignKey("catalog.Product", verbose_name=_("product"), null=True, blank=True, on_delete=models.CASCADE, related_name="media")
    product_model = models.ForeignKey("catalog.ProductModel", verbose_name=_("product model"), null=True, blank=True, on_delete=models.CASCADE, related_name="media")
    asset = models.ForeignKey(MediaAsset, verbose_name=_("asset"), on_delete=models.PROTECT, related_name="usages")
    role = models.CharField(_("role"), max_length=20, choices=MediaRole.choices, default=MediaRole.GALLERY)
    attribute_code = models.CharField(_("attribute"), max_length=100, blank=True, help_text=_("The media attribute this file came from, if any."))
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("product media")
        verbose_name_plural = _("product media")
        ordering = ["position"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(product__isnull=False) & Q(product_model__isnull=True)) | (Q(product__isnull=True) & Q(product_model__isnull=False)),
                name="product_media_one_owner",
            ),
        ]

    def __str__(self):
        return f"{self.get_role_display()}: {self.asset}"
