from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from integrations.models import Conflict, LeadingSystemRule


@admin.register(LeadingSystemRule)
class LeadingSystemRuleAdmin(admin.ModelAdmin):
    list_display = ["domain", "field_group", "connection"]
    list_filter = ["domain", "connection"]
    list_select_related = ["connection"]


@admin.register(Conflict)
class ConflictAdmin(admin.ModelAdmin):
    list_display = [
        "detected_at", "domain", "field_group", "field", "record_label",
        "current_value", "incoming_value", "connection", "leading_connection", "resolved",
    ]
    list_filter = ["resolved", "domain", "field_group", "connection"]
    search_fields = ["object_id", "field"]
    date_hierarchy = "detected_at"
    list_select_related = ["connection", "leading_connection", "content_type"]
    actions = ["mark_resolved"]

    @admin.display(description=_("record"))
    def record_label(self, conflict):
        return f"{conflict.content_type.name} {conflict.object_id}"

    @admin.action(description=_("Mark resolved"))
    def mark_resolved(self, request, queryset):
        count = queryset.filter(resolved=False).update(resolved=True)
        self.message_user(request, _("%(count)d conflicts marked resolved.") % {"count": count})

    def has_add_permission(self, request):
        return False
