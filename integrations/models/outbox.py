from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from integrations.domains import DataClass, Domain
from integrations.models.connections import Connection


class OutboundState(models.TextChoices):
    PENDING = "pending", _("pending")
    # Claimed by a worker until lease_expires_at.
    IN_FLIGHT = "in_flight", _("in flight")
    DELIVERED = "delivered", _("delivered")
    # A newer message for the same record replaced it before it was sent.
    SUPERSEDED = "superseded", _("superseded")
    # The remote system already has this content (same fingerprint as the last push).
    SKIPPED = "skipped", _("skipped")
    FAILED = "failed", _("failed")
    # The record was cancelled before any attempt of this message may have reached the remote
    # system (see may_have_reached), so it is not sent. The context keeps it apart from a
    # withdrawn consent, which German calls "widerrufen".
    WITHDRAWN = "withdrawn", pgettext_lazy("outbound message state", "withdrawn")


class OutboundAction(models.TextChoices):
    UPSERT = "upsert", _("create or update")
    DELETE = "delete", _("delete")


class OutboundMessage(models.Model):
    """A change to push to one connection (the outbox), written with the canonical change."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="outbound_messages", verbose_name=_("connection"))
    entity = models.CharField(_("entity"), max_length=30, choices=Domain.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, verbose_name=_("record type"))
    object_id = models.CharField(_("record id"), max_length=64)
    record = GenericForeignKey("content_type", "object_id")
    action = models.CharField(_("action"), max_length=10, choices=OutboundAction.choices, default=OutboundAction.UPSERT)
    payload = models.JSONField(_("payload"))
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    idempotency_key = models.CharField(_("idempotency key"), max_length=64, unique=True)
    lane = models.CharField(_("lane"), max_length=10, choices=DataClass.choices)
    state = models.CharField(_("state"), max_length=10, choices=OutboundState.choices, default=OutboundState.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    first_attempt_at = models.DateTimeField(_("first attempt at"), null=True, blank=True)
    lease_expires_at = models.DateTimeField(_("lease expires at"), null=True, blank=True)
    claim_token = models.CharField(_("claim token"), max_length=32, blank=True)
    error_code = models.CharField(_("error code"), max_length=50, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    remote_id = models.CharField(_("remote id"), max_length=255, blank=True)
    # Set once an attempt sent a request that the remote system may have acted on, and when a
    # worker died holding the message. A cancellation withdraws only messages without it.
    may_have_reached = models.BooleanField(
        _("may have reached the remote system"), default=False,
        help_text=_("An attempt sent a request that the remote system may have carried out, even if the attempt failed."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="integrations_outbound_due"),
            models.Index(fields=["connection", "content_type", "object_id", "state"], name="integrations_outbound_record"),
            # The claim takes the oldest due messages of a lane. This index holds only the
            # unfinished ones, so a backlog is read in id order without sorting all of it.
            models.Index(
                fields=["lane", "id"], condition=Q(state__in=["pending", "in_flight"]), name="integrations_outbound_open",
            ),
        ]

    def __str__(self):
        # The admin shows this in titles, breadcrumbs and links, so it names the record as the
        # outbox list does ("Order 10042"), the connection by its name and the state by its label.
        # Imported here, because the record names module imports the catalog and orders models.
        from integrations.recordnames import record_label_of

        return f"{record_label_of(self)} → {self.connection.name} ({self.get_state_display()})"
