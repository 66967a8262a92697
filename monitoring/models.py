from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.translation import in_active_language
from integrations.domains import DataClass, Domain
from integrations.models import Connection


class Dashboard(models.Model):
    """Table-less model that gives the dashboard its admin URL, index entry and view permission."""

    class Meta:
        managed = False
        default_permissions = ("view",)
        verbose_name = _("dashboard")
        verbose_name_plural = _("dashboard")

    def __str__(self):
        return str(_("dashboard"))


class LagTarget(models.Model):
    """Maximum acceptable lag of one data class, for one connection or as the default for all."""

    connection = models.ForeignKey(
        Connection,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="lag_targets",
        verbose_name=_("connection"),
        help_text=_("Empty: the default for every connection without its own target."),
    )
    data_class = models.CharField(_("data class"), max_length=10, choices=DataClass.choices)
    target_seconds = models.PositiveIntegerField(
        _("target (seconds)"),
        validators=[MinValueValidator(1)],
        help_text=_("Oldest change not yet processed or delivered may be this many seconds old."),
    )

    class Meta:
        verbose_name = _("lag target")
        verbose_name_plural = _("lag targets")
        ordering = ["connection__name", "data_class"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "data_class"], name="monitoring_lag_target_unique"),
            models.UniqueConstraint(
                fields=["data_class"],
                condition=models.Q(connection__isnull=True),
                name="monitoring_lag_target_default_unique",
            ),
        ]

    def __str__(self):
        scope = self.connection or _("all connections")
        return f"{scope} / {self.data_class}: {self.target_seconds}s"


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("email")
    WEBHOOK = "webhook", _("webhook (JSON POST)")


class NotificationChannel(models.Model):
    """Destination of alerts: a list of email addresses, or a webhook URL such as a Slack or Teams hook."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=ChannelKind.choices)
    recipients = models.TextField(
        _("email recipients"), blank=True, help_text=_("Email addresses, separated by commas or new lines.")
    )
    url = models.URLField(
        _("webhook URL"),
        max_length=500,
        blank=True,
        help_text=_("Receives a JSON POST with a text field, which Slack and Microsoft Teams display."),
    )
    daily_summary = models.BooleanField(
        _("daily summary"), default=False, help_text=_("Also send the daily summary for support staff here (email only).")
    )
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("notification channel")
        verbose_name_plural = _("notification channels")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def recipient_list(self):
        separators = self.recipients.replace("\n", ",").replace(";", ",")
        return [address.strip() for address in separators.split(",") if address.strip()]

    def clean(self):
        if self.kind == ChannelKind.EMAIL and not self.recipient_list:
            raise ValidationError({"recipients": _("Enter at least one email address for an email channel.")})
        if self.kind == ChannelKind.WEBHOOK and not self.url:
            raise ValidationError({"url": _("Enter the webhook URL for a webhook channel.")})
        if self.kind == ChannelKind.WEBHOOK and self.daily_summary:
            raise ValidationError({"daily_summary": _("The daily summary is sent by email only.")})


class RuleKind(models.TextChoices):
    ERROR_RATE = "error_rate", _("error rate")
    LAG = "lag", _("lag over target")
    CIRCUIT_OPEN = "circuit_open", _("circuit breaker open")
    QUEUE_DEPTH = "queue_depth", _("queue depth")
    NO_TRAFFIC = "no_traffic", _("no traffic")
    ORDER_BACKLOG = "order_backlog", _("orders waiting for the ERP")


validate_weekdays = RegexValidator(
    r"^[1-7]*$", _("Enter ISO weekday digits without separators, 1 for Monday to 7 for Sunday, such as 12345.")
)


class AlertRule(models.Model):
    """A condition checked every minute for one connection or for each enabled connection."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=RuleKind.choices)
    connection = models.ForeignKey(
        Connection,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="alert_rules",
        verbose_name=_("connection"),
        help_text=_("Empty: check every enabled connection."),
    )
    threshold = models.PositiveIntegerField(
        _("threshold"),
        default=0,
        help_text=_(
            "Error rate: percent of items that failed. Queue depth: waiting inbox and outbox items. "
            "Orders waiting for the ERP: waiting order messages. Not used by the other kinds."
        ),
    )
    minimum_count = models.PositiveIntegerField(
        _("minimum errors"),
        default=1,
        help_text=_("Error rate: fire only when at least this many items failed in the window."),
    )
    window_minutes = models.PositiveIntegerField(
        _("window (minutes)"),
        default=60,
        validators=[MinValueValidator(1)],
        help_text=_(
            "Error rate and no traffic: how far back to look. Orders waiting for the ERP: how long the "
            "count must stay above the threshold."
        ),
    )
    entity = models.CharField(
        _("entity"),
        max_length=30,
        choices=Domain.choices,
        blank=True,
        help_text=_("No traffic: the entity that should keep arriving, such as orders. Empty: any."),
    )
    weekdays = models.CharField(
        _("opening days"),
        max_length=7,
        blank=True,
        default="1234567",
        validators=[validate_weekdays],
        help_text=_("No traffic: ISO weekday digits, 1 for Monday to 7 for Sunday, such as 12345."),
    )
    opens_at = models.TimeField(
        _("opens at"), null=True, blank=True, help_text=_("No traffic: start of opening hours in the connection's time zone. Empty: all day.")
    )
    closes_at = models.TimeField(_("closes at"), null=True, blank=True, help_text=_("No traffic: end of opening hours."))
    reminder_minutes = models.PositiveIntegerField(
        _("reminder interval (minutes)"),
        default=60,
        validators=[MinValueValidator(1)],
        help_text=_("While the alert stays open, notify again after this many minutes."),
    )
    channels = models.ManyToManyField(NotificationChannel, blank=True, related_name="rules", verbose_name=_("notification channels"))
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        if (self.opens_at is None) != (self.closes_at is None):
            raise ValidationError(_("Set both the opening and the closing time, or neither."))
        if self.opens_at is not None and self.opens_at >= self.closes_at:
            raise ValidationError({"closes_at": _("The closing time must be after the opening time.")})


class Incident(models.Model):
    """One alert from the moment its rule's condition held for a connection until it cleared."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="incidents", verbose_name=_("rule"))
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="incidents", verbose_name=_("connection"))
    message = models.TextField(_("message"))
    # The message in each language of settings.LANGUAGES, rendered when the rule is measured,
    # because the alert worker writes in the installation's language and the reader may use another.
    message_translations = models.JSONField(_("message in each language"), default=dict, blank=True, editable=False)
    opened_at = models.DateTimeField(_("opened at"), db_index=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    last_notified_at = models.DateTimeField(_("last notified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-opened_at"]
        constraints = [
            # De-duplication: a condition that keeps holding updates its open incident.
            models.UniqueConstraint(
                fields=["rule", "connection"],
                condition=models.Q(resolved_at__isnull=True),
                name="monitoring_incident_one_open",
            ),
        ]

    def __str__(self):
        return f"{self.rule} / {self.connection}"

    @property
    def is_open(self):
        return self.resolved_at is None

    def localized_message(self):
        """Return the message in the active language, or the stored message if it has no translation."""
        return in_active_language(self.message, self.message_translations)

    localized_message.short_description = _("message")


class NotificationKind(models.TextChoices):
    OPENED = "opened", _("opened")
    REMINDER = "reminder", _("reminder")
    RESOLVED = "resolved", _("resolved")
    SUMMARY = "summary", _("daily summary")


class Notification(models.Model):
    """One attempt to send an alert or summary to one channel, kept so support can check it went out."""

    # The context keeps "channel" apart from a sales channel, which other apps translate it as.
    channel = models.ForeignKey(
        NotificationChannel, on_delete=models.CASCADE, related_name="notifications", verbose_name=pgettext_lazy("notification", "channel")
    )
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications", verbose_name=_("incident")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=NotificationKind.choices)
    sent_at = models.DateTimeField(_("sent at"), db_index=True)
    succeeded = models.BooleanField(_("succeeded"))
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-sent_at"]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.channel}"


class LaneHeartbeat(models.Model):
    """Last time a worker of a lane ran the heartbeat task; readiness reads its age."""

    lane = models.CharField(_("lane"), max_length=20, primary_key=True)
    last_seen_at = models.DateTimeField(_("last seen at"))
    queue_delay_seconds = models.FloatField(
        _("queue delay (seconds)"), null=True, blank=True, help_text=_("Time the lane's last probe task waited in the queue before a worker started it.")
    )

    class Meta:
        verbose_name = _("lane heartbeat")
        verbose_name_plural = _("lane heartbeats")

    def __str__(self):
        return f"{self.lane} @ {self.last_seen_at}"
