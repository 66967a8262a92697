"""Shipments with their carrier events; read-only because carriers and the ERP lead them."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin, ReadOnlyInlineMixin
from core.quantities import localized_quantity
from orders.admin.labels import code_label_filter
from orders.models import Shipment, ShipmentEvent, ShipmentLine
from orders.models.shipments import carrier_label


class ShipmentLineInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = ShipmentLine
    fields = ["order_line", "quantity_display"]
    readonly_fields = fields

    @admin.display(description=_("quantity"))
    def quantity_display(self, line):
        return localized_quantity(line.quantity)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order_line")


class ShipmentEventInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = ShipmentEvent
    fields = ["occurred_at", "status", "carrier_code", "description", "location", "applied", "received_at"]
    readonly_fields = fields


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["tracking_number", "shown_carrier", "service", "order", "status", "shipped_at", "delivered_at"]
    list_select_related = ["order__channel"]
    list_filter = [code_label_filter("carrier", _("carrier"), carrier_label), "status"]
    search_fields = ["=tracking_number", "=external_id", "=order__external_number"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    inlines = [ShipmentLineInline, ShipmentEventInline]
    fields = [
        "order", "connection", "shown_carrier", "service", "external_id", "tracking_number", "tracking_url", "status", "label", "shipped_at",
        "delivered_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("carrier"), ordering="carrier")
    def shown_carrier(self, shipment):
        return carrier_label(shipment.carrier)


@admin.register(ShipmentEvent)
class ShipmentEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["occurred_at", "shipment", "status", "carrier_code", "location", "applied", "received_at"]
    list_select_related = ["shipment"]
    list_filter = ["status", "applied"]
    search_fields = ["=shipment__tracking_number", "carrier_code"]
    show_full_result_count = False
