"""Shipments with their carrier events; read-only because carriers and the ERP lead them."""

from django.contrib import admin

from core.admin import ReadOnlyAdminMixin, ReadOnlyInlineMixin
from orders.models import Shipment, ShipmentEvent, ShipmentLine


class ShipmentLineInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = ShipmentLine
    fields = ["order_line", "quantity"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order_line")


class ShipmentEventInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = ShipmentEvent
    fields = ["occurred_at", "status", "carrier_code", "description", "location", "applied", "received_at"]
    readonly_fields = fields


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["tracking_number", "carrier", "service", "order", "status", "shipped_at", "delivered_at"]
    list_select_related = ["order__channel"]
    list_filter = ["carrier", "status"]
    search_fields = ["=tracking_number", "=external_id", "=order__external_number"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    inlines = [ShipmentLineInline, ShipmentEventInline]


@admin.register(ShipmentEvent)
class ShipmentEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["occurred_at", "shipment", "status", "carrier_code", "location", "applied", "received_at"]
    list_select_related = ["shipment"]
    list_filter = ["status", "applied"]
    search_fields = ["=shipment__tracking_number", "carrier_code"]
    show_full_result_count = False
