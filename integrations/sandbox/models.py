"""State of the simulated systems: records, fault settings and webhook deliveries.

Every simulated system keeps its data as JSON documents in SandboxRecord, one row per record
of a collection (Shopware entity, Odoo model ...), so a new simulation needs no migration.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]


class SandboxSystem(models.TextChoices):
    """The simulated systems, by the name their views pass to faults.with_faults.

    The values must match SIMULATED_SYSTEMS in integrations.sandbox.urls, because a fault row
    applies only to requests of the system with exactly that name.
    """

    SHOPWARE = "shopware", _("Shopware")
    ODOO = "odoo", _("Odoo")
    PAYMENTS = "payments", _("payment providers (Stripe, PayPal, Mollie)")
    SHIPPING = "shipping", _("shipping providers (DHL, Sendcloud)")


class SandboxSystemField(models.CharField):
    """The name of a simulated system. An unknown name is rejected with a list of the valid names."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault("choices", SandboxSystem.choices)
        super().__init__(*args, **kwargs)

    def validate(self, value, model_instance):
        # Django's own message names only the value, so this one also lists the valid names.
        if value not in self.empty_values and value not in SandboxSystem.values:
            raise ValidationError(
                _("Unknown sandbox system “%(value)s”. Choose one of: %(choices)s."),
                code="invalid_choice",
                params={"value": value, "choices": ", ".join(SandboxSystem.values)},
            )
        super().validate(value, model_instance)


# Statuses a request fault can respond with: HTTP error statuses, and 0 for a timeout.
FIRST_ERROR_STATUS, LAST_ERROR_STATUS = 400, 599


def validate_fault_status(value):
    """Raise ValidationError unless `value` is 0 (a timeout) or an HTTP error status from 400 to 599."""
    if value == 0 or FIRST_ERROR_STATUS <= value <= LAST_ERROR_STATUS:
        return
    raise ValidationError(
        _("%(value)s is not an error status. Enter an HTTP status from %(first)s to %(last)s, or 0 for a timeout."),
        code="invalid_fault_status",
        params={"value": value, "first": FIRST_ERROR_STATUS, "last": LAST_ERROR_STATUS},
    )


class SandboxRecord(models.Model):
    """One record of a simulated system, such as a Shopware product or an Odoo sale order."""

    system = models.CharField(_("system"), max_length=30)
    collection = models.CharField(_("collection"), max_length=60)
    record_id = models.CharField(_("record id"), max_length=64)
    # The system's own unique business key (productNumber, orderNumber), for fast lookups.
    natural_key = models.CharField(_("natural key"), max_length=255, blank=True, default="")
    data = models.JSONField(_("data"))
    created_at = models.DateTimeField(_("created at"))
    # Empty until the record is first changed, as Shopware reports it.
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)
    # The later of the two, so delta filters and stable sorting use one indexed column.
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("sandbox record")
        verbose_name_plural = _("sandbox records")
        ordering = ["system", "collection", "changed_at", "record_id"]
        constraints = [
            models.UniqueConstraint(fields=["system", "collection", "record_id"], name="sandbox_record_unique_id"),
        ]
        indexes = [
            models.Index(fields=["system", "collection", "changed_at"], name="sandbox_record_changed"),
            models.Index(fields=["system", "collection", "natural_key"], name="sandbox_record_natural_key"),
        ]

    def __str__(self):
        return f"{self.system}/{self.collection}/{self.record_id}"


class SandboxFaults(models.Model):
    """Faults a simulated system injects into its API answers and webhooks, switchable at run time.

    Percentages apply to every API request of the system (control endpoints under _ excluded).
    The fail_next_* pair fails exactly the next N requests, for deterministic tests.
    """

    # Rows stored before the choices existed may contain another spelling ("Shopware"). They stay
    # listed, but they match no request, and saving one fails validation until a valid name is chosen.
    system = SandboxSystemField(_("system"), unique=True)
    latency_ms = models.PositiveIntegerField(_("added latency (ms)"), default=0)
    rate_limit_percent = models.PositiveSmallIntegerField(_("429 answers (%)"), default=0, validators=PERCENT)
    retry_after_seconds = models.PositiveIntegerField(_("Retry-After of a 429 (seconds)"), default=1)
    server_error_percent = models.PositiveSmallIntegerField(_("5xx answers (%)"), default=0, validators=PERCENT)
    server_error_status = models.PositiveSmallIntegerField(
        _("5xx status"), default=503, validators=[MinValueValidator(500), MaxValueValidator(599)]
    )
    timeout_percent = models.PositiveSmallIntegerField(_("timeouts (%)"), default=0, validators=PERCENT)
    timeout_seconds = models.PositiveIntegerField(
        _("timeout delay (seconds)"),
        default=35,
        help_text=_("How long a timed-out request hangs before it gets a 504; above the client's read timeout."),
    )
    fail_next_requests = models.PositiveIntegerField(_("fail the next N requests"), default=0)
    fail_next_status = models.PositiveSmallIntegerField(
        _("status of those failures"),
        default=503,
        validators=[validate_fault_status],
        help_text=_("An HTTP error status from 400 to 599 (429 adds a Retry-After header), or 0 for a timeout."),
    )
    duplicate_webhooks_percent = models.PositiveSmallIntegerField(_("webhooks sent twice (%)"), default=0, validators=PERCENT)
    reorder_webhooks = models.BooleanField(
        _("send webhooks out of order"), default=False, help_text=_("Each webhook is held back and sent after the next one.")
    )
    drop_webhooks_percent = models.PositiveSmallIntegerField(_("webhooks lost (%)"), default=0, validators=PERCENT)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("sandbox faults")
        verbose_name_plural = _("sandbox faults")
        ordering = ["system"]

    def __str__(self):
        return self.system

    def system_label(self):
        """Return the system's translated name, or the stored name marked unknown."""
        if self.system in SandboxSystem.values:
            return self.get_system_display()
        return _("%(value)s (unknown system)") % {"value": self.system}


class DeliveryState(models.TextChoices):
    HELD = "held", _("held back (out-of-order fault)")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    DROPPED = "dropped", _("lost (fault)")


class SandboxWebhookDelivery(models.Model):
    """One webhook a simulated system sent, or holds back, with the receiver's answer."""

    system = models.CharField(_("system"), max_length=30)
    event = models.CharField(_("event"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    body = models.TextField(_("body"))
    headers = models.JSONField(_("headers"), default=dict)
    state = models.CharField(_("state"), max_length=10, choices=DeliveryState.choices)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sandbox webhook delivery")
        verbose_name_plural = _("sandbox webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["system", "state"], name="sandbox_delivery_state")]

    def __str__(self):
        return f"{self.system} {self.event} ({self.state})"
