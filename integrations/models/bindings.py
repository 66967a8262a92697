from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from integrations.models.connections import Connection


class Binding(models.Model):
    """Link between a canonical record and its id in one connection, with the last sync state."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="bindings", verbose_name=_("connection"))
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, verbose_name=_("record type"))
    object_id = models.CharField(_("record id"), max_length=64)
    record = GenericForeignKey("content_type", "object_id")
    external_id = models.CharField(_("external id"), max_length=255)
    pulled_fingerprint = models.CharField(_("fingerprint of last pull"), max_length=64, blank=True)
    pulled_at = models.DateTimeField(_("last pulled at"), null=True, blank=True)
    pushed_fingerprint = models.CharField(_("fingerprint of last push"), max_length=64, blank=True)
    pushed_at = models.DateTimeField(_("last pushed at"), null=True, blank=True)
    # For shops that count their own stock; see integrations.services.unseen_sales.
    stock_sent = models.IntegerField(_("stock figure last sent"), null=True, blank=True)
    stock_known = models.IntegerField(_("units of stored orders when the figure was counted"), default=0, db_default=0)
    stock_known_since = models.DateTimeField(_("stored orders counted from"), null=True, blank=True)
    stock_unseen = models.IntegerField(_("units sold in the remote system, not received yet"), default=0, db_default=0)
    stock_unseen_since = models.DateTimeField(_("unseen units last found at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("binding")
        verbose_name_plural = _("bindings")
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "content_type", "external_id"],
                name="integrations_binding_external_unique",
            ),
            models.UniqueConstraint(
                fields=["connection", "content_type", "object_id"],
                name="integrations_binding_record_unique",
            ),
        ]

    def __str__(self):
        return f"{self.content_type.model} {self.object_id} = {self.connection.slug}:{self.external_id}"
