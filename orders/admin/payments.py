"""Payments and refunds as the providers report them; read-only because the provider leads them."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin, ReadOnlyInlineMixin, money_column
from orders.admin.labels import code_label_filter
from orders.models import Payment, Refund
from orders.models.payments import payment_method_label, payment_provider_label


class RefundInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Refund
    fields = ["external_id", "status", "amount_display", "reason", "created_at"]
    readonly_fields = fields

    amount_display = money_column("amount", _("amount"))


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "external_id", "shown_provider", "order", "shown_method", "status", "amount_display", "captured_display", "refunded_display",
        "status_changed_at",
    ]
    list_select_related = ["order__channel"]
    list_filter = [
        code_label_filter("provider", _("provider"), payment_provider_label),
        "status",
        code_label_filter("method", _("method"), payment_method_label),
        "currency",
    ]
    search_fields = ["=external_id", "=order__external_number"]
    show_full_result_count = False
    inlines = [RefundInline]
    fields = [
        "order", "connection", "shown_provider", "external_id", "shown_method", "currency", "amount", "captured_amount", "refunded_amount",
        "status", "status_changed_at",
    ]
    readonly_fields = fields

    amount_display = money_column("amount", _("amount"))
    captured_display = money_column("captured_amount", _("captured"))
    refunded_display = money_column("refunded_amount", _("refunded"))

    @admin.display(description=_("provider"), ordering="provider")
    def shown_provider(self, payment):
        return payment_provider_label(payment.provider)

    @admin.display(description=_("method"), ordering="method")
    def shown_method(self, payment):
        return payment_method_label(payment.method)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["external_id", "payment", "status", "amount_display", "reason", "created_at"]
    list_select_related = ["payment"]
    list_filter = ["status", "currency"]
    search_fields = ["=external_id", "=payment__external_id"]
    show_full_result_count = False

    amount_display = money_column("amount", _("amount"))
