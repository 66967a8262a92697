"""Stock changes only through the ledger (catalog services), so levels, movements and
reservations are read-only here; warehouses and channel buffers are edited."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from catalog.models import (
    ChannelStockBuffer,
    StockLevel,
    StockMovement,
    StockReservation,
    Warehouse,
)
from core.admin import ReadOnlyAdminMixin, ReadOnlyInlineMixin
from core.quantities import localized_quantity


def quantity_column(model, field):
    """Build an admin column that shows the quantity `field` of `model` with localized_quantity."""

    @admin.display(description=model._meta.get_field(field).verbose_name, ordering=field)
    def column(self, obj):
        return localized_quantity(getattr(obj, field))

    column.__name__ = f"{field}_shown"
    return column


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["product", "warehouse", "on_hand_shown", "reserved_shown", "available_shown", "updated_at"]
    list_select_related = ["product", "warehouse"]
    list_filter = ["warehouse"]
    search_fields = ["=product__sku", "=product__gtin"]
    show_full_result_count = False
    fields = ["product", "warehouse", "on_hand_shown", "reserved_shown", "available_shown", "created_at", "updated_at"]
    readonly_fields = fields

    on_hand_shown = quantity_column(StockLevel, "on_hand")
    reserved_shown = quantity_column(StockLevel, "reserved")

    @admin.display(description=_("available"))
    def available_shown(self, obj):
        return localized_quantity(obj.available)


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "product", "warehouse", "on_hand_delta_shown", "reserved_delta_shown", "reason", "shown_reference", "connection"]
    list_select_related = ["product", "warehouse", "connection"]
    list_filter = ["reason", "warehouse"]
    search_fields = ["=product__sku", "reference"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = ["created_at", "product", "warehouse", "on_hand_delta_shown", "reserved_delta_shown", "reason", "shown_reference", "connection"]
    readonly_fields = fields

    on_hand_delta_shown = quantity_column(StockMovement, "on_hand_delta")
    reserved_delta_shown = quantity_column(StockMovement, "reserved_delta")

    @admin.display(description=_("reference"), ordering="reference")
    def shown_reference(self, movement):
        return movement.reference_label()


@admin.register(StockReservation)
class StockReservationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "order", "product", "warehouse", "quantity_shown", "state", "released_at", "shown_release_reason"]
    list_select_related = ["order_line__order__channel", "product", "warehouse"]
    list_filter = ["state", "warehouse"]
    search_fields = ["=product__sku", "order_line__order__external_number"]
    show_full_result_count = False
    fields = ["order_line", "product", "warehouse", "quantity_shown", "state", "created_at", "released_at", "shown_release_reason"]
    readonly_fields = fields

    quantity_shown = quantity_column(StockReservation, "quantity")

    # The field's own column would show "-" for a text stored before the codes existed,
    # because the admin looks values up in the choices only.
    @admin.display(description=_("release reason"), ordering="release_reason")
    def shown_release_reason(self, reservation):
        return reservation.get_release_reason_display()

    @admin.display(description=_("order"), ordering="order_line__order")
    def order(self, obj):
        return obj.order_line.order


@admin.register(ChannelStockBuffer)
class ChannelStockBufferAdmin(admin.ModelAdmin):
    list_display = ["channel", "product", "quantity_shown"]
    list_select_related = ["channel", "product"]
    list_filter = ["channel"]
    search_fields = ["=product__sku", "channel__code"]
    autocomplete_fields = ["channel", "product"]

    quantity_shown = quantity_column(ChannelStockBuffer, "quantity")


class StockLevelInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = StockLevel
    fields = ["warehouse", "on_hand_shown", "reserved_shown", "available_shown", "updated_at"]
    readonly_fields = fields

    on_hand_shown = quantity_column(StockLevel, "on_hand")
    reserved_shown = quantity_column(StockLevel, "reserved")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("warehouse")

    @admin.display(description=_("available"))
    def available_shown(self, obj):
        return localized_quantity(obj.available)
