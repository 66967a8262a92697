from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from core.formats import format_utc_datetime
from core.translation import in_active_language
from integrations.akeneo.issues import WARNING
from integrations.domains import Domain
from integrations.models.connections import Connection


class SyncRunKind(models.TextChoices):
    PULL = "pull", _("delta pull")
    PUSH = "push", _("push batch")
    RECONCILIATION = "reconciliation", _("reconciliation")


class SyncRunState(models.TextChoices):
    RUNNING = "running", _("running")
    SUCCEEDED = "succeeded", _("succeeded")
    PARTIAL = "partial", _("finished with errors")
    FAILED = "failed", _("failed")


class SyncRun(models.Model):
    """One execution of a sync job, with counts and timings."""

    kind = models.CharField(_("kind"), max_length=20, choices=SyncRunKind.choices)
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="sync_runs", verbose_name=_("connection"))
    entity = models.CharField(_("entity"), max_length=30, choices=Domain.choices, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=SyncRunState.choices, default=SyncRunState.RUNNING)
    read_count = models.PositiveIntegerField(_("read"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    failed_count = models.PositiveIntegerField(_("failed"), default=0)
    # Items stored for the lane workers, whose outcome the run does not wait for.
    queued_count = models.PositiveIntegerField(_("handed to workers"), default=0, db_default=0)
    started_at = models.DateTimeField(_("started at"), db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.connection} {self.get_entity_display()} {format_utc_datetime(self.started_at)}"

    @property
    def duration(self):
        if self.finished_at is None:
            return None
        return self.finished_at - self.started_at


class SyncDirection(models.TextChoices):
    INBOUND = "inbound", _("inbound")
    OUTBOUND = "outbound", _("outbound")


# An Akeneo import issue stores its severity in the payload. A warning dropped one value and kept
# its record, so data keeps flowing and it needs no action. Other sync errors name no severity.
# The severity's text is NULL in SQL for a payload without the key or for a list payload, so it
# is compared as "" there, and the negation keeps those rows among the other errors. Not a JSON
# containment test, because SQLite (the embedded default) has none.
SEVERITY = Coalesce(KeyTextTransform("severity", "payload"), Value(""), output_field=models.TextField())
IS_WARNING = models.Q(Exact(SEVERITY, WARNING))
IS_NOT_WARNING = ~IS_WARNING


class SyncErrorQuerySet(models.QuerySet):
    def warnings(self):
        """Return the import warnings, the errors that need no action to keep data flowing."""
        return self.filter(IS_WARNING)

    def problems(self):
        """Return the errors that are not import warnings, whose item failed."""
        return self.filter(IS_NOT_WARNING)

    def with_is_warning(self):
        """Annotate each error with `is_warning`, True or False, for a list that shows or sorts by severity."""
        return self.annotate(
            is_warning=models.Case(models.When(IS_WARNING, then=True), default=False, output_field=models.BooleanField())
        )


class SyncError(models.Model):
    """One failed item, shown to support staff with a retry button."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="sync_errors", verbose_name=_("connection"))
    direction = models.CharField(_("direction"), max_length=10, choices=SyncDirection.choices)
    entity = models.CharField(_("entity"), max_length=30, choices=Domain.choices, blank=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("record type"))
    object_id = models.CharField(_("record id"), max_length=64, blank=True)
    record = GenericForeignKey("content_type", "object_id")
    external_id = models.CharField(_("external id"), max_length=255, blank=True)
    inbound_event = models.OneToOneField(
        "integrations.InboundEvent", on_delete=models.CASCADE, null=True, blank=True, related_name="sync_error", verbose_name=_("inbound event")
    )
    outbound_message = models.OneToOneField(
        "integrations.OutboundMessage", on_delete=models.CASCADE, null=True, blank=True, related_name="sync_error", verbose_name=_("outbound message")
    )
    sync_run = models.ForeignKey(SyncRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="errors", verbose_name=_("sync run"))
    payload = models.JSONField(_("payload"), null=True, blank=True)
    code = models.CharField(_("error code"), max_length=50, db_index=True)
    message = models.TextField(_("message"))
    # The message in each language of settings.LANGUAGES, rendered when the error is recorded,
    # because a worker writes it in its own language and the reader may use another.
    message_translations = models.JSONField(_("message in each language"), default=dict, blank=True, editable=False)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_retry_at = models.DateTimeField(_("next retry at"), null=True, blank=True)
    resolved = models.BooleanField(_("resolved"), default=False, db_index=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = SyncErrorQuerySet.as_manager()

    class Meta:
        verbose_name = _("sync error")
        verbose_name_plural = _("sync errors")
        ordering = ["-created_at"]
        indexes = [
            # record_sync_error looks up the open error of an item before it writes one, and an
            # import does so for each of its issues, so the lookup must not scan every error.
            models.Index(fields=["connection", "external_id"], condition=models.Q(resolved=False), name="integrations_syncerror_open"),
        ]

    def __str__(self):
        return f"{self.connection} {self.get_direction_display()} {self.get_entity_display()} {self.external_id or self.object_id}: {self.code}"

    def localized_message(self):
        """Return the message in the active language, or the stored message if it has no translation."""
        return in_active_language(self.message, self.message_translations)


class DeltaCursor(models.Model):
    """High-water mark of a delta pull: the (update time, id) of the last committed item."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="cursors", verbose_name=_("connection"))
    entity = models.CharField(_("entity"), max_length=30, choices=Domain.choices)
    updated_at = models.DateTimeField(_("last item updated at (UTC)"), null=True, blank=True)
    last_id = models.CharField(_("last item id"), max_length=255, blank=True)
    advanced_at = models.DateTimeField(_("advanced at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delta cursor")
        verbose_name_plural = _("delta cursors")
        constraints = [
            models.UniqueConstraint(fields=["connection", "entity"], name="integrations_cursor_unique"),
        ]

    def __str__(self):
        return f"{self.connection.slug} {self.get_entity_display()} @ {self.updated_at}"
