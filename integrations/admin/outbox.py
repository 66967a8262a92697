from django.contrib import admin

from integrations.models import OutboundMessage


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "connection", "entity", "object_id", "action", "state", "attempts", "next_attempt_at", "error_code"]
    list_filter = ["state", "entity", "lane", "connection", "error_code"]
    search_fields = ["object_id", "idempotency_key", "remote_id"]
    date_hierarchy = "created_at"
    list_select_related = ["connection"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
