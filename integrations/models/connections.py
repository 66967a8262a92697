from decimal import Decimal
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from integrations.crypto import decrypt_credentials, encrypt_credentials
from integrations.domains import DataClass, Domain, lane_of


def validate_time_zone(value):
    if value not in available_timezones():
        raise ValidationError(
            _("%(value)s is not an IANA time zone name. Use a name like Europe/Berlin."),
            params={"value": value},
        )


class Connection(TimeStampedModel):
    """One configured instance of a connector, such as "Shopware DE shop"."""

    kind = models.CharField(_("kind"), max_length=50, db_index=True, help_text=_("Connector that talks to this system."))
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True, help_text=_("Short name used in webhook URLs and commands."))
    base_url = models.URLField(_("base URL"), max_length=500, blank=True)
    credentials_encrypted = models.TextField(_("credentials (encrypted)"), blank=True, editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text=_("IANA time zone of the remote system, used to read its time stamps without an offset."),
    )
    rate_limit_per_second = models.DecimalField(
        _("rate limit (requests per second)"),
        max_digits=8,
        decimal_places=2,
        default=5,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Shared by all workers that call this system."),
    )
    rate_limit_burst = models.PositiveIntegerField(
        _("rate limit burst"),
        default=10,
        validators=[MinValueValidator(1)],
        help_text=_("Requests that may be sent at once after an idle period."),
    )

    class Meta:
        verbose_name = _("connection")
        verbose_name_plural = _("connections")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def credentials(self):
        """Decrypted credential fields as a dict. Never log or render this value."""
        return decrypt_credentials(self.credentials_encrypted)

    def set_credentials(self, credentials):
        self.credentials_encrypted = encrypt_credentials(credentials)

    @property
    def connector(self):
        """Registered connector instance for this connection's kind."""
        from integrations.registry import get_connector

        return get_connector(self.kind)


class Direction(models.TextChoices):
    IN = "in", _("in (Kontor reads)")
    OUT = "out", _("out (Kontor writes)")
    BOTH = "both", _("both")


class ConnectionEntity(models.Model):
    """What one connection exchanges for one entity: direction, pull schedule and lane."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="entities", verbose_name=_("connection"))
    entity = models.CharField(_("entity"), max_length=30, choices=Domain.choices)
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices, default=Direction.BOTH)
    pull_interval_minutes = models.PositiveIntegerField(
        _("pull interval (minutes)"),
        null=True,
        blank=True,
        help_text=_("Minutes between delta pulls. Empty: no scheduled pull, for example when webhooks deliver changes."),
    )
    lane = models.CharField(
        _("lane"),
        max_length=10,
        choices=DataClass.choices,
        blank=True,
        help_text=_("Worker lane for this entity. Empty: the lane of the entity's data class."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("connection entity")
        verbose_name_plural = _("connection entities")
        constraints = [
            models.UniqueConstraint(fields=["connection", "entity"], name="integrations_connection_entity_unique"),
        ]

    def __str__(self):
        return f"{self.connection} / {self.get_entity_display()}"

    @property
    def effective_lane(self):
        return self.lane or lane_of(self.entity)

    @property
    def pushes(self):
        return self.direction in (Direction.OUT, Direction.BOTH)

    @property
    def pulls(self):
        return self.direction in (Direction.IN, Direction.BOTH)
