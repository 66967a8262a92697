"""Read-only inlines of the order page. The order's channel leads lines, amounts and addresses."""

from django.contrib import admin
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyInlineMixin, money_column
from core.quantities import localized_quantity
from orders.admin.actors import actor_column, with_actor_names
from orders.models import (
    Document,
    OrderAddress,
    OrderLine,
    OrderStatusChange,
    Payment,
    Return,
    Shipment,
    TaxLine,
)
from orders.models.payments import payment_method_label, payment_provider_label
from orders.models.shipments import carrier_label


def change_link(obj, text=None):
    """Link to the admin change page of `obj`."""
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text if text is not None else obj)


def format_plain_number(value):
    """Format a rate in the active language without padding zeros: 19 rather than 19,000."""
    return number_format(value.normalize())


class OrderLineInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = OrderLine
    fields = ["position", "sku", "name", "product", "quantity_display", "unit_price_display", "tax_rate_display", "discount_display", "total_net_display", "total_tax_display", "total_gross_display"]
    readonly_fields = fields

    unit_price_display = money_column("unit_price", _("unit price"), "order.currency")
    discount_display = money_column("discount", _("discount"), "order.currency")
    total_net_display = money_column("total_net", _("total net"), "order.currency")
    total_tax_display = money_column("total_tax", _("total tax"), "order.currency")
    total_gross_display = money_column("total_gross", _("total gross"), "order.currency")

    @admin.display(description=_("quantity"))
    def quantity_display(self, line):
        return localized_quantity(line.quantity)

    @admin.display(description=_("tax rate %"))
    def tax_rate_display(self, line):
        return format_plain_number(line.tax_rate)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order", "product")


class TaxLineInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = TaxLine
    fields = ["rate_display", "label", "net_display", "tax_display"]
    readonly_fields = fields

    net_display = money_column("net", _("net"), "order.currency")
    tax_display = money_column("tax", _("tax"), "order.currency")

    @admin.display(description=_("rate %"))
    def rate_display(self, tax_line):
        return format_plain_number(tax_line.rate)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order")


class OrderAddressInline(ReadOnlyInlineMixin, admin.StackedInline):
    model = OrderAddress
    fields = ["kind", ("first_name", "last_name"), "company", "street", "street2", ("postal_code", "city"), "region", "country", "phone"]
    readonly_fields = ["kind", "first_name", "last_name", "company", "street", "street2", "postal_code", "city", "region", "country", "phone"]


class OrderStatusChangeInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = OrderStatusChange
    # The model's plural, "order status history", repeats the order on its own page.
    verbose_name_plural = _("status history")
    fields = ["created_at", "from_status", "to_status", "applied", "actor_display", "user", "connection", "shown_note"]
    readonly_fields = fields
    ordering = ["created_at", "id"]

    @admin.display(description=_("changed by"))
    def actor_display(self, change):
        return actor_column(change)

    @admin.display(description=_("note"))
    def shown_note(self, change):
        return change.localized_note()

    def get_queryset(self, request):
        return with_actor_names(super().get_queryset(request).select_related("order__channel", "user", "connection"))


class PaymentInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Payment
    fields = ["payment_link", "shown_provider", "shown_method", "status", "amount_display", "captured_display", "refunded_display", "status_changed_at"]
    readonly_fields = fields

    amount_display = money_column("amount", _("amount"))
    captured_display = money_column("captured_amount", _("captured"))
    refunded_display = money_column("refunded_amount", _("refunded"))

    @admin.display(description=_("provider payment id"))
    def payment_link(self, obj):
        return change_link(obj, obj.external_id)

    @admin.display(description=_("provider"))
    def shown_provider(self, payment):
        return payment_provider_label(payment.provider)

    @admin.display(description=_("method"))
    def shown_method(self, payment):
        return payment_method_label(payment.method)


class ShipmentInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Shipment
    fields = ["shipment_link", "shown_carrier", "service", "tracking_number", "status", "shipped_at", "delivered_at"]
    readonly_fields = fields

    @admin.display(description=_("shipment"))
    def shipment_link(self, obj):
        return change_link(obj, obj.tracking_number or obj.pk)

    @admin.display(description=_("carrier"))
    def shown_carrier(self, shipment):
        return carrier_label(shipment.carrier)


class DocumentInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Document
    fields = ["document_link", "kind", "issued_at", "net_display", "tax_display", "gross_display", "file"]
    readonly_fields = fields

    net_display = money_column("amount_net", _("net"))
    tax_display = money_column("amount_tax", _("tax"))
    gross_display = money_column("amount_gross", _("gross"))

    @admin.display(description=_("number"))
    def document_link(self, obj):
        return change_link(obj, obj.number)


class ReturnInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Return
    fields = ["return_link", "status", "reason", "created_at"]
    readonly_fields = fields

    @admin.display(description=_("return"))
    def return_link(self, obj):
        return change_link(obj, obj.external_id or obj.pk)
