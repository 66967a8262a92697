from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from integrations.domains import DataClass
from integrations.models import Connection
from integrations.registry import connector_choices
from monitoring.charts import dashboard_charts
from monitoring.models import (
    AlertRule,
    Dashboard,
    Incident,
    LagTarget,
    LaneHeartbeat,
    Notification,
    NotificationChannel,
)
from monitoring.services.backlog import erp_connection, order_backlog, order_backlog_series
from monitoring.services.health import connection_tiles
from monitoring.services.lag import default_target
from monitoring.services.readiness import lane_overview
from monitoring.services.series import DEFAULT_RANGE, RANGES, chart_series


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that monitoring services write; people only read them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # A deleted incident would make an open outage vanish from the dashboard and its alerts.
        return False


@admin.register(Dashboard)
class DashboardAdmin(admin.ModelAdmin):
    """The monitoring dashboard at /admin/monitoring/dashboard/, for every active staff user."""

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        now = timezone.now()
        range_key = request.GET.get("range", DEFAULT_RANGE)
        if range_key not in RANGES:
            range_key = DEFAULT_RANGE
        connection = Connection.objects.filter(slug=request.GET.get("connection", "")).first()

        series = chart_series(range_key, now, connection_id=connection.pk if connection else None)

        # The tile and the chart of orders waiting for the ERP come from one definition, so the
        # chart's last point equals the tile. The chart belongs to all connections and the ERP's own.
        erp = erp_connection()
        backlog = order_backlog(now, erp) if erp else None
        backlog_series = None
        if erp and (connection is None or connection.pk == erp.pk):
            backlog_series = order_backlog_series(range_key, now, erp)

        tiles = connection_tiles(now)
        connector_names = dict(connector_choices())
        for tile in tiles:
            # Named as in the connection list ("Shopware 6"). A kind without a connector keeps its code.
            tile.kind_name = connector_names.get(tile.connection.kind, tile.connection.kind)

        context = {
            **self.admin_site.each_context(request),
            "title": _("Monitoring dashboard"),
            "opts": self.model._meta,
            "now": now,
            "tiles": tiles,
            "order_backlog": backlog,
            "charts": dashboard_charts(
                series, default_target(DataClass.HOT), default_target(DataClass.MASTER), order_backlog=backlog_series
            ),
            "range_key": range_key,
            "ranges": [("24h", _("last 24 hours")), ("14d", _("last 14 days"))],
            "chart_connection": connection,
            "lanes": lane_overview(now),
            "incidents": Incident.objects.filter(resolved_at__isnull=True).select_related("rule", "connection")[:50],
            **(extra_context or {}),
        }
        return TemplateResponse(request, "monitoring/dashboard.html", context)


@admin.register(LagTarget)
class LagTargetAdmin(admin.ModelAdmin):
    list_display = ["connection", "data_class", "target_seconds"]
    list_filter = ["data_class", "connection"]
    list_select_related = ["connection"]


class NotificationChannelForm(forms.ModelForm):
    """Channel form that checks each email recipient, so an alert is not lost to a typo."""

    class Meta:
        model = NotificationChannel
        fields = ["name", "kind", "recipients", "url", "daily_summary", "enabled"]

    def clean_recipients(self):
        recipients = self.cleaned_data["recipients"]
        invalid = []
        for address in NotificationChannel(recipients=recipients).recipient_list:
            try:
                validate_email(address)
            except ValidationError:
                invalid.append(address)
        if invalid:
            # The model's own check would see no recipients once this field fails, and add "enter
            # at least one email address" next to this error. The entered text prevents that.
            self.instance.recipients = recipients
            raise ValidationError(
                _("These are not valid email addresses: %(addresses)s. Correct them, and separate addresses with "
                  "commas or new lines."),
                code="invalid_recipients",
                params={"addresses": ", ".join(invalid)},
            )
        return recipients


@admin.register(NotificationChannel)
class NotificationChannelAdmin(admin.ModelAdmin):
    form = NotificationChannelForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "kind", "enabled", "daily_summary"]
    list_filter = ["kind", "enabled", "daily_summary"]


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "connection", "threshold", "window_minutes", "reminder_minutes", "enabled"]
    list_filter = ["kind", "enabled", "connection"]
    list_select_related = ["connection"]
    filter_horizontal = ["channels"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "connection", "enabled", "channels", "reminder_minutes"]}),
        (_("Condition"), {"fields": ["threshold", "minimum_count", "window_minutes"]}),
        (_("No traffic: when traffic is expected"), {"fields": ["entity", "weekdays", "opens_at", "closes_at"]}),
    ]


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ["opened_at", "rule", "connection", "localized_message", "last_notified_at", "resolved_at"]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter), "rule", "connection"]
    list_select_related = ["rule", "connection"]
    date_hierarchy = "opened_at"
    # The message in the reader's language, as in the list, instead of the stored field.
    fields = ["rule", "connection", "localized_message", "opened_at", "last_notified_at", "resolved_at"]
    readonly_fields = fields


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["sent_at", "kind", "channel", "incident", "succeeded", "error"]
    list_filter = ["kind", "succeeded", "channel"]
    list_select_related = ["channel", "incident__rule", "incident__connection"]
    date_hierarchy = "sent_at"


@admin.register(LaneHeartbeat)
class LaneHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ["lane", "last_seen_at", "queue_delay_shown"]
    fields = ["lane", "last_seen_at", "queue_delay_shown"]
    readonly_fields = fields

    @admin.display(description=_("queue delay"), ordering="queue_delay_seconds")
    def queue_delay_shown(self, heartbeat):
        # The float has microseconds ("47.535684"), so it is rounded to tenths as on the dashboard.
        if heartbeat.queue_delay_seconds is None:
            return "-"
        return _("%(seconds)s s") % {"seconds": number_format(heartbeat.queue_delay_seconds, 1)}
