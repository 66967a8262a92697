from decimal import Decimal
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from integrations.crypto import decrypt_credentials, encrypt_credentials


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
