from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin
from integrations.admin.records import PAYLOAD_SEARCH_FIELDS, choice_label_column
from integrations.models import InboundEvent

# Outcomes that connectors return from process_inbound, by their label. The field is free
# text, so an outcome missing here is shown as its code.
OUTCOME_LABELS = {
    "created": _("created"),
    "updated": _("updated"),
    "skipped": _("skipped"),
    "processed": _("processed"),
    "ignored": _("ignored"),
    "stale": _("stale"),
}


@admin.register(InboundEvent)
class InboundEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # Read-only, and no one deletes an event here: it records what a system sent, and deleting a
    # pending one drops that change for good. Support processes it again with the sync error's Retry.
    list_display = ["received_at", "connection", "entity_label", "external_id", "event_type", "state", "attempts", "outcome_label"]
    list_filter = ["state", "source", "entity", "connection"]
    # A full order event's payload contains the order number. NOTE: an order.written event contains
    # only the order's id, so a search for the number does not find it; its external id does.
    search_fields = ["external_id", "dedup_key", *PAYLOAD_SEARCH_FIELDS]
    date_hierarchy = "received_at"
    list_select_related = ["connection"]

    entity_label = choice_label_column(InboundEvent, "entity")

    def get_readonly_fields(self, request, obj=None):
        # The detail page shows every field read-only, the outcome by its label as in the list
        # and the error in the reader's language.
        labelled = {"outcome": "outcome_label", "error": "error_message"}
        names = [field.name for field in self.model._meta.fields if field.editable and not field.auto_created]
        return [labelled.get(name, name) for name in names]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("sync_error")

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj)

    @admin.display(description=_("outcome"), ordering="outcome")
    def outcome_label(self, event):
        return OUTCOME_LABELS.get(event.outcome, event.outcome) or "-"

    @admin.display(description=_("error"))
    def error_message(self, event):
        """Return the event's error in the reader's language when its sync error has the same text.

        The worker stores the error in its own language, and only the sync error keeps it in
        every language. An event that failed again since, with a retry still due, shows its
        newer error as stored.

        NOTE: an event whose first retry is still due has no sync error yet, so its error
        shows in the worker's language.
        """
        sync_error = getattr(event, "sync_error", None)
        if sync_error is not None and event.error in (sync_error.message, *sync_error.message_translations.values()):
            return sync_error.localized_message()
        return event.error or "-"
