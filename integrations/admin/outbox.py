from django.contrib import admin
from django.contrib.admin.utils import display_for_value
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin
from integrations.admin.records import RecordNamesChangeList, RecordNameSearchMixin, record_label_of
from integrations.models import OutboundMessage, OutboundState

# States in which Kontor still sends the message at next_attempt_at. In the others the field
# keeps the time of the last scheduled attempt, which reads like a retry that never comes.
WAITING_STATES = {OutboundState.PENDING, OutboundState.IN_FLIGHT}


@admin.register(OutboundMessage)
class OutboundMessageAdmin(RecordNameSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    # Read-only, and no one deletes a message here: it records what Kontor sent, and deleting a
    # pending one drops that delivery for good. Support sends again with the sync error's Retry.
    list_display = ["created_at", "connection", "entity", "record_label", "action", "state", "attempts", "next_attempt_shown", "error_code"]
    list_filter = ["state", "entity", "lane", "connection", "error_code"]
    # An order message's payload contains the order number, which finds the message even after
    # the order was deleted. The search also matches the record's name (RecordNameSearchMixin).
    search_fields = ["object_id", "idempotency_key", "remote_id", "payload__number"]
    date_hierarchy = "created_at"
    list_select_related = ["connection", "content_type"]

    def get_changelist(self, request, **kwargs):
        return RecordNamesChangeList

    def get_readonly_fields(self, request, obj=None):
        # The detail page shows every field read-only, the record's name beside its id, and the
        # next attempt only while one is due.
        names = []
        for field in self.model._meta.fields:
            if not field.editable or field.auto_created:
                continue
            names.append(field.name if field.name != "next_attempt_at" else "next_attempt_shown")
            if field.name == "object_id":
                names.append("record_label")
        return names

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj)

    @admin.display(description=_("record"))
    def record_label(self, message):
        # The id alone means nothing to support, who know an order by its number.
        return record_label_of(message)

    @admin.display(description=_("next attempt at"), ordering="next_attempt_at")
    def next_attempt_shown(self, message):
        if message.state not in WAITING_STATES:
            return "-"
        # Formatted here, because the detail page shows a method's datetime unlocalized.
        return display_for_value(message.next_attempt_at, "-")
