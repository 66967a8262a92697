from django.db import models
from django.utils.translation import gettext_lazy as _

from integrations.domains import Domain
from integrations.models.connections import Connection


class InboundState(models.TextChoices):
    PENDING = "pending", _("pending")
    PROCESSED = "processed", _("processed")
    # Genuine but no longer applicable, such as an update older than the stored record.
    IGNORED = "ignored", _("ignored")
    FAILED = "failed", _("failed")


class InboundSource(models.TextChoices):
    WEBHOOK = "webhook", _("webhook")
    PULL = "pull", _("pull")


class InboundEvent(models.Model):
    """A webhook or pulled change, stored raw before anything is processed (the inbox)."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="inbound_events", verbose_name=_("connection"))
    entity = models.CharField(_("entity"), max_length=30, choices=Domain.choices)
    external_id = models.CharField(_("external id"), max_length=255)
    dedup_key = models.CharField(_("deduplication key"), max_length=255)
    event_type = models.CharField(_("event type"), max_length=100, blank=True)
    version = models.CharField(_("version"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=InboundSource.choices)
    payload = models.JSONField(_("payload"))
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    state = models.CharField(_("state"), max_length=10, choices=InboundState.choices, default=InboundState.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("inbound event")
        verbose_name_plural = _("inbound events")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "dedup_key"], name="integrations_inbound_dedup_unique"),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="integrations_inbound_due"),
            models.Index(fields=["connection", "entity", "external_id"], name="integrations_inbound_object"),
        ]

    def __str__(self):
        # The admin shows this in titles and links, so it names the record as support refers to it
        # ("Order 10042"), where the payload has the number, else the entity and external id.
        # Imported here, because the record names module imports the catalog and orders models.
        from django.utils.text import capfirst

        from integrations.recordnames import payload_number_label

        record = payload_number_label(self) or f"{capfirst(self.get_entity_display())} {self.external_id}"
        return f"{record} ← {self.connection.name} ({self.get_state_display()})"
