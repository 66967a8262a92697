"""Invoices, credit notes and delivery notes; read-only because the ERP issues them."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin, money_column
from orders.models import Document


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["number", "kind", "order", "issued_at", "net_display", "tax_display", "gross_display", "connection"]
    list_select_related = ["order__channel", "connection"]
    list_filter = ["kind", "currency"]
    search_fields = ["=number", "=order__external_number"]
    date_hierarchy = "issued_at"
    show_full_result_count = False

    net_display = money_column("amount_net", _("net"))
    tax_display = money_column("amount_tax", _("tax"))
    gross_display = money_column("amount_gross", _("gross"))
