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
        # The detail page shows every field read-only, and the outcome by its label as in the list.
        names = [field.name for field in self.model._meta.fields if field.editable and not field.auto_created]
        return [name if name != "outcome" else "outcome_label" for name in names]

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj)

    @admin.display(description=_("outcome"), ordering="outcome")
    def outcome_label(self, event):
        return OUTCOME_LABELS.get(event.outcome, event.outcome) or "-"
