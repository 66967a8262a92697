from urllib.parse import urlencode

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from integrations.domains import Domain
from integrations.models import SyncDirection
from orders.erpstate import ErpState, erp_connection_id, erp_state_label


class ErpStateFilter(admin.SimpleListFilter):
    """Filter of the order list by ERP state, which OrderAdmin.get_queryset annotates."""

    title = _("ERP delivery")
    parameter_name = "erp_state"

    def lookups(self, request, model_admin):
        # Without an ERP every order has no state, and the filter is left out.
        if erp_connection_id() is None:
            return []
        return ErpState.choices

    def queryset(self, request, queryset):
        # An unknown value, such as one from an old bookmark, shows the whole list.
        if self.value() not in ErpState.values:
            return queryset
        return queryset.filter(erp_state=self.value())


def order_sync_errors_url(order):
    """Return the address of the sync error list filtered to the open errors of sending `order`."""
    query = {
        "object_id": order.pk,
        "entity__exact": Domain.ORDERS.value,
        "direction__exact": SyncDirection.OUTBOUND.value,
        "resolved__exact": "0",
    }
    return reverse("admin:integrations_syncerror_changelist") + "?" + urlencode(query)


def erp_state_cell(order):
    """Return the ERP state of an order for the list, with a failed one linked to its sync errors."""
    label = erp_state_label(order)
    if order.erp_state != ErpState.FAILED:
        return label
    return format_html('<a href="{}">{}</a>', order_sync_errors_url(order), label)
