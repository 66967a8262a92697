from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from integrations.admin.records import (
    PAYLOAD_SEARCH_FIELDS,
    RecordNamesChangeList,
    RecordNameSearchMixin,
)
from integrations.models import DeltaCursor, SyncError, SyncRun
from integrations.recordnames import payload_number_label, record_label_of
from integrations.services.retrychecks import format_count, held_back_messages
from integrations.services.syncruns import resolve_sync_errors, retry_sync_error_batch


def sync_errors_url(run, severity=None):
    """Return the address of the sync error list filtered to the open errors of `run`.

    `severity` is a value of the list's severity filter: "error" or "warning". None lists both.
    """
    url = reverse("admin:integrations_syncerror_changelist") + f"?sync_run__id__exact={run.pk}&resolved__exact=0"
    if severity:
        url += f"&severity={severity}"
    return url


def open_problems_url(run, open_warnings):
    """Return the address of the list of the run's open errors that are not import warnings.

    Without open warnings the unfiltered list shows exactly these errors, so the address leaves
    the severity filter out.
    """
    return sync_errors_url(run, "error" if open_warnings else None)


def open_count(sync_errors):
    """Return a sync run annotation that counts the open rows of `sync_errors` recorded against the run."""
    counts = (
        sync_errors.filter(sync_run=OuterRef("pk"), resolved=False)
        .order_by()
        .values("sync_run")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counts), 0)


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = [
        "started_at", "kind", "connection", "entity", "state",
        "read_count", "created_count", "updated_count", "skipped_count", "failed_link", "queued_count", "open_errors_link",
        "open_warnings_link", "duration_shown",
    ]
    list_filter = ["kind", "state", "entity", "connection"]
    date_hierarchy = "started_at"
    list_select_related = ["connection"]

    def get_queryset(self, request):
        # A run can succeed for every record and still record sync errors. An import that kept
        # records with defects records import warnings, which need no action, so the list counts
        # them apart from the errors.
        return super().get_queryset(request).annotate(
            open_errors=open_count(SyncError.objects.problems()), open_warnings=open_count(SyncError.objects.warnings())
        )

    def get_readonly_fields(self, request, obj=None):
        # The detail page shows every field read-only, plus links to the run's open errors and warnings.
        names = [field.name for field in self.model._meta.fields if field.editable and not field.auto_created]
        return [*names, "sync_errors_link", "sync_warnings_link"]

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj)

    @admin.display(description=_("failed"), ordering="failed_count")
    def failed_link(self, run):
        # The count is the run's own tally. The errors it links to are those still recorded
        # against this run, because retrying an error moves it to the run of the retry.
        if not run.failed_count:
            return run.failed_count
        return format_html('<a href="{}">{}</a>', open_problems_url(run, run.open_warnings), run.failed_count)

    @admin.display(description=_("open sync errors"), ordering="open_errors")
    def open_errors_link(self, run):
        if not run.open_errors:
            return 0
        return format_html('<a href="{}">{}</a>', open_problems_url(run, run.open_warnings), run.open_errors)

    @admin.display(description=_("open warnings"), ordering="open_warnings")
    def open_warnings_link(self, run):
        if not run.open_warnings:
            return 0
        return format_html('<a href="{}">{}</a>', sync_errors_url(run, "warning"), run.open_warnings)

    @admin.display(description=_("sync errors"))
    def sync_errors_link(self, run):
        unresolved = run.errors.filter(resolved=False)
        count = unresolved.problems().count()
        if not count:
            return "-"
        text = ngettext("%(count)d open sync error", "%(count)d open sync errors", count) % {"count": count}
        return format_html('<a href="{}">{}</a>', open_problems_url(run, unresolved.warnings().exists()), text)

    @admin.display(description=_("import warnings"))
    def sync_warnings_link(self, run):
        count = run.errors.filter(resolved=False).warnings().count()
        if not count:
            return "-"
        text = ngettext("%(count)d open warning", "%(count)d open warnings", count) % {"count": count}
        return format_html('<a href="{}">{}</a>', sync_errors_url(run, "warning"), text)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("duration"))
    def duration_shown(self, run):
        # A timedelta reads "0:00:16.137151"; support staff need seconds, not microseconds.
        if run.duration is None:
            return "-"
        return _("%(seconds)s s") % {"seconds": number_format(run.duration.total_seconds(), 1)}


class SeverityFilter(admin.SimpleListFilter):
    """Narrow the sync errors to the import warnings, which need no action, or to the other errors."""

    title = _("severity")
    parameter_name = "severity"

    def lookups(self, request, model_admin):
        return [("error", _("Errors")), ("warning", _("Warnings"))]

    def queryset(self, request, queryset):
        if self.value() == "error":
            return queryset.problems()
        if self.value() == "warning":
            return queryset.warnings()
        return queryset


@admin.register(SyncError)
class SyncErrorAdmin(RecordNameSearchMixin, admin.ModelAdmin):
    change_list_template = "admin/integrations/syncerror/change_list.html"
    list_display = [
        "created_at", "connection", "direction", "entity", "record_label", "code", "severity", "shown_message",
        "attempts", "next_retry_at", "resolved",
    ]
    list_filter = ["resolved", SeverityFilter, "direction", "code", "entity", "connection"]
    search_fields = ["external_id", "object_id", "message", "message_translations", *PAYLOAD_SEARCH_FIELDS]
    date_hierarchy = "created_at"
    list_select_related = ["connection", "content_type"]
    exclude = ["message", "message_translations"]
    readonly_fields = ["record_label", "severity", "shown_message"] + [field.name for field in SyncError._meta.fields if field.name not in ("message", "message_translations")]
    actions = ["retry", "mark_resolved"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_is_warning()

    @admin.display(description=_("severity"), ordering="is_warning")
    def severity(self, sync_error):
        return _("Warning") if sync_error.is_warning else _("Error")

    @admin.display(description=_("message"))
    def shown_message(self, sync_error):
        return sync_error.localized_message()

    def has_delete_permission(self, request, obj=None):
        # Support closes an error with "Mark resolved", which keeps it for the record. A deleted
        # error would be gone from the history of its item and from the error rate's count.
        return False

    def get_changelist(self, request, **kwargs):
        return RecordNamesChangeList

    @admin.display(description=_("record"))
    def record_label(self, sync_error):
        return record_label_of(sync_error)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # The default subtitle is the model's str, which names an inbound order by its external
        # id (a Shopware UUID), not by the order number that support staff know.
        label = payload_number_label(obj) if obj is not None else None
        if label:
            context["subtitle"] = f"{obj.connection} {obj.get_direction_display()} {label}: {obj.code}"
        # Every field is read-only, so there is nothing to save. Support acts with Retry instead.
        context.update(show_save=False, show_save_and_continue=False, show_save_and_add_another=False)
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.action(description=_("Retry"))
    def retry(self, request, queryset):
        self.report_retry(request, retry_sync_error_batch(queryset))

    @admin.action(description=_("Mark resolved"))
    def mark_resolved(self, request, queryset):
        count = resolve_sync_errors(queryset)
        text = ngettext("%(count)d sync error marked resolved.", "%(count)d sync errors marked resolved.", count)
        self.message_user(request, text % {"count": count}, messages.SUCCESS)

    def report_retry(self, request, outcome):
        """Show one message with what was queued (and how much of it waits for its stream), what a retry check held back and what was skipped."""
        text = ngettext(
            "%(count)s item queued for retry.", "%(count)s items queued for retry.", outcome.queued
        ) % {"count": format_count(outcome.queued)}
        if outcome.in_order:
            text += " " + self.in_order_text(outcome)
        level = messages.SUCCESS
        held_back = held_back_messages(outcome.held_back)
        if held_back:
            text += " " + " ".join(held_back)
            level = messages.WARNING
        if outcome.skipped:
            text += " " + ngettext(
                "%(count)s sync error was skipped because it has no stored webhook event or outgoing "
                "message to send again; run the import or sync again after fixing the cause.",
                "%(count)s sync errors were skipped because they have no stored webhook event or outgoing "
                "message to send again; run the import or sync again after fixing the cause.",
                outcome.skipped,
            ) % {"count": format_count(outcome.skipped)}
            level = messages.WARNING
        self.message_user(request, text, level)

    def in_order_text(self, outcome):
        """Return the sentence stating that retried messages of ordered streams are sent in order, not at once."""
        if outcome.in_order == outcome.queued:
            return ngettext(
                "It will be sent in order with the other waiting messages of the same kind to its "
                "connection, not at once.",
                "They will be sent in order with the other waiting messages of the same kind to "
                "their connections, not at once.",
                outcome.in_order,
            )
        return ngettext(
            "%(count)s of them will be sent in order with the other waiting messages of the same "
            "kind to its connection, not at once.",
            "%(count)s of them will be sent in order with the other waiting messages of the same "
            "kind to their connections, not at once.",
            outcome.in_order,
        ) % {"count": format_count(outcome.in_order)}

    def get_urls(self):
        urls = [
            path(
                "retry-matching/",
                self.admin_site.admin_view(self.retry_matching_view),
                name="integrations_syncerror_retry_matching",
            ),
            path(
                "<int:object_id>/retry/",
                self.admin_site.admin_view(self.retry_one_view),
                name="integrations_syncerror_retry_one",
            ),
        ]
        return urls + super().get_urls()

    def retry_one_view(self, request, object_id):
        """Retry the error shown on its detail page, because its message tells support to retry it there."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        # The same retry as the list's action, retry checks included, because an error whose cause
        # is still there would only fail the same way again.
        self.report_retry_one(request, retry_sync_error_batch(SyncError.objects.filter(pk=object_id)))
        return HttpResponseRedirect(reverse("admin:integrations_syncerror_change", args=[object_id]))

    def report_retry_one(self, request, outcome):
        """Show why a retry check left the error unqueued, or else the message of a list retry."""
        held_back = held_back_messages(outcome.held_back)
        if outcome.queued or not held_back:
            self.report_retry(request, outcome)
            return
        # "0 items queued for retry." would only repeat the check's message on the error's own page.
        self.message_user(request, " ".join(held_back), messages.WARNING)

    def retry_matching_view(self, request):
        """Retry every unresolved error that the changelist's current filters and search show."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        changelist_url = reverse("admin:integrations_syncerror_changelist")
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            # Redirect like the changelist does for these filters, and retry nothing.
            self.message_user(
                request,
                _("The filters in the address are invalid, so nothing was retried. Choose the filters again in the list, then retry."),
                messages.ERROR,
            )
            return HttpResponseRedirect(f"{changelist_url}?{ERROR_FLAG}=1")
        self.report_retry(request, retry_sync_error_batch(changelist.get_queryset(request)))
        return HttpResponseRedirect(changelist_url + changelist.get_query_string())

    def has_add_permission(self, request):
        return False


@admin.register(DeltaCursor)
class DeltaCursorAdmin(admin.ModelAdmin):
    list_display = ["connection", "entity", "updated_at", "last_id", "advanced_at"]
    list_filter = ["connection", "entity"]
