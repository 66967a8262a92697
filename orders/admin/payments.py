"""Payments and refunds as the providers report them; read-only because the provider leads them."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin, ReadOnlyInlineMixin, money_column
from orders.models import Payment, Refund


class RefundInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Refund
    fields = ["external_id", "status", "amount_display", "reason", "created_at"]
    readonly_fields = fields

    amount_display = money_column("amount", _("amount"))


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["external_id", "provider", "order", "method", "status", "amount_display", "captured_display", "refunded_display", "status_changed_at"]
    list_select_related = ["order__channel"]
    list_filter = ["provider", "status", "method", "currency"]
    search_fields = ["=external_id", "=order__external_number"]
    show_full_result_count = False
    inlines = [RefundInline]

    amount_display = money_column("amount", _("amount"))
    captured_display = money_column("captured_amount", _("captured"))
    refunded_display = money_column("refunded_amount", _("refunded"))


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["external_id", "payment", "status", "amount_display", "reason", "created_at"]
    list_select_related = ["payment"]
    list_filter = ["status", "currency"]
    search_fields = ["=external_id", "=payment__external_id"]
    show_full_result_count = False

    amount_display = money_column("amount", _("amount"))
