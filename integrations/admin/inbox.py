from django.contrib import admin

from integrations.models import InboundEvent


@admin.register(InboundEvent)
class InboundEventAdmin(admin.ModelAdmin):
    list_display = ["received_at", "connection", "entity", "external_id", "event_type", "state", "attempts", "outcome"]
    list_filter = ["state", "source", "entity", "connection"]
    search_fields = ["external_id", "dedup_key"]
    date_hierarchy = "received_at"
    list_select_related = ["connection"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
