from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from catalog.models import Category, Channel


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["indented_code", "label", "parent", "depth", "position"]
    list_select_related = ["parent"]
    list_filter = ["depth"]
    search_fields = ["code", "path"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path", "depth", "created_at", "updated_at"]

    @admin.display(description=_("code"), ordering="path")
    def indented_code(self, obj):
        return f"{'— ' * obj.depth}{obj.code}"

    @admin.display(description=_("label"))
    def label(self, obj):
        return obj.label()


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "currencies", "locales", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
