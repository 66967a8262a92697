from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin, ReadOnlyInlineMixin
from core.quantities import localized_quantity
from orders.models import Return, ReturnLine


class ReturnLineInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = ReturnLine
    fields = ["order_line", "quantity_display", "reason"]
    readonly_fields = fields

    @admin.display(description=_("quantity"))
    def quantity_display(self, line):
        return localized_quantity(line.quantity)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order_line")


@admin.register(Return)
class ReturnAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Returns as the shop or ERP reports them."""

    list_display = ["__str__", "external_id", "status", "created_at"]
    list_select_related = ["order__channel"]
    list_filter = ["status"]
    search_fields = ["=external_id", "=order__external_number"]
    show_full_result_count = False
    inlines = [ReturnLineInline]
