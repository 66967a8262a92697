from django.contrib import admin
from django.contrib.admin.utils import display_for_value
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin
from integrations.admin.records import (
    RecordNamesChangeList,
    RecordNameSearchMixin,
    choice_label_column,
)
from integrations.models import OutboundMessage, OutboundState
from integrations.recordnames import record_label_of
from integrations.services.outbox_explanations import explain_outbound_message, explanation_shown

# States in which Kontor still sends the message at next_attempt_at. In the others the field
# keeps the time of the last scheduled attempt, which reads like a retry that never comes.
WAITING_STATES = {OutboundState.PENDING, OutboundState.IN_FLIGHT}

# The fields that support reads to follow a message, in page order. Every other field is an
# internal of delivery and goes to the collapsed "Technical details", new fields included. The
# English last_error is one of them, because "What happened" explains it in the reader's language.
SUPPORT_FIELDS = [
    "connection", "entity", "record_label", "action", "state", "attempts", "next_attempt_shown",
    "first_attempt_at", "delivered_at", "created_at", "error_code", "remote_id",
]

# Fields that explain a state, shown beside it only in that state.
EXPLANATION_FIELDS = ("withdrawn_reason", "what_happened")


@admin.register(OutboundMessage)
class OutboundMessageAdmin(RecordNameSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    # Read-only, and no one deletes a message here: it records what Kontor sent, and deleting a
    # pending one drops that delivery for good. Support sends again with the sync error's Retry.
    list_display = ["created_at", "connection", "entity_label", "record_label", "action", "state", "attempts", "next_attempt_shown", "error_code"]
    list_filter = ["state", "entity", "lane", "connection", "error_code"]
    # An order message's payload contains the order number, which finds the message even after
    # the order was deleted. The search also matches the record's name (RecordNameSearchMixin).
    search_fields = ["object_id", "idempotency_key", "remote_id", "payload__number"]
    date_hierarchy = "created_at"
    list_select_related = ["connection", "content_type"]

    entity_label = choice_label_column(OutboundMessage, "entity")

    def get_changelist(self, request, **kwargs):
        return RecordNamesChangeList

    def get_readonly_fields(self, request, obj=None):
        # The detail page shows every field read-only, the next attempt only while one is due.
        names = [field.name for field in self.model._meta.fields if field.editable and not field.auto_created]
        names = [name if name != "next_attempt_at" else "next_attempt_shown" for name in names]
        return [*names, "record_label", *EXPLANATION_FIELDS]

    def get_fieldsets(self, request, obj=None):
        main = list(SUPPORT_FIELDS)
        # A withdrawn message is never sent, so its page explains why, beside the state.
        if obj is not None and obj.state == OutboundState.WITHDRAWN:
            main.insert(main.index("state") + 1, "withdrawn_reason")
        # A message that is retrying after a failure, or failed, shows what happened and what
        # Kontor does next, beside the state.
        if obj is not None and explanation_shown(obj):
            main.insert(main.index("state") + 1, "what_happened")
        technical = [
            name for name in self.get_readonly_fields(request, obj) if name not in main and name not in EXPLANATION_FIELDS
        ]
        return [
            (None, {"fields": main}),
            (_("Technical details"), {"classes": ["collapse"], "fields": technical}),
        ]

    @admin.display(description=_("record"))
    def record_label(self, message):
        # The id alone means nothing to support, who know an order by its number.
        return record_label_of(message)

    @admin.display(description=_("reason"))
    def withdrawn_reason(self, message):
        # The text follows integrations.services.outbox.withdraw_unsent, the only code that
        # withdraws a message.
        return gettext(
            "Kontor withdrew this message because %(record)s was cancelled before %(connection)s received it. "
            "Any earlier attempts were turned away unprocessed. Kontor does not send it."
        ) % {"record": record_label_of(message), "connection": message.connection.name}

    @admin.display(description=_("What happened"))
    def what_happened(self, message):
        return explain_outbound_message(message) or "-"

    @admin.display(description=_("next attempt at"), ordering="next_attempt_at")
    def next_attempt_shown(self, message):
        if message.state not in WAITING_STATES:
            return "-"
        # Formatted here, because the detail page shows a method's datetime unlocalized.
        return display_for_value(message.next_attempt_at, "-")
