from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import ReadOnlyAdminMixin, money_column
from orders.admin.inlines import (
    DocumentInline,
    OrderAddressInline,
    OrderLineInline,
    OrderStatusChangeInline,
    PaymentInline,
    ReturnInline,
    ShipmentInline,
    TaxLineInline,
)
from orders.models import Order, OrderStatus, OrderStatusChange
from orders.services import InvalidTransition, transition_order

# Fields a support person may edit on an order: the flag and note about what needs doing.
# Everything else is led by the channel or the ERP and changes through services.
EDITABLE_ORDER_FIELDS = ["needs_attention", "attention_note"]


def admin_actor(request):
    """Name the admin user in status history rows."""
    return f"admin:{request.user.get_username()}"


def transition_selected(modeladmin, request, queryset, to_status):
    """Move each selected order to `to_status` through the order service, one transaction each.

    An order that cannot make the move is reported and left unchanged; the others still move.
    """
    moved = 0
    for order_id in queryset.values_list("pk", flat=True):
        try:
            change = transition_order(order_id, to_status, actor=admin_actor(request), user=request.user)
        except InvalidTransition as error:
            modeladmin.message_user(request, " ".join(error.messages), messages.ERROR)
            continue
        if change is not None and change.applied:
            moved += 1

    label = OrderStatus(to_status).label
    modeladmin.message_user(
        request,
        ngettext(
            "%(count)d order moved to %(status)s.",
            "%(count)d orders moved to %(status)s.",
            moved,
        )
        % {"count": moved, "status": label},
        messages.SUCCESS if moved else messages.WARNING,
    )


def transition_action(to_status, description):
    def action(modeladmin, request, queryset):
        transition_selected(modeladmin, request, queryset, to_status)

    action.__name__ = f"mark_{to_status}"
    action.short_description = description
    action.allowed_permissions = ("change",)
    return action


class OrderForm(forms.ModelForm):
    """The order form, with the attention note in the reader's language."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["attention_note"] = self.instance.localized_attention_note()

    def save(self, commit=True):
        # The translations belong to what a worker wrote; a person's edit replaces all of them.
        if "attention_note" in self.changed_data:
            self.instance.attention_note_translations = {}
        return super().save(commit=commit)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    form = OrderForm
    list_display = ["external_number", "channel", "placed_at", "buyer", "status", "payment_state", "total_gross_display", "needs_attention"]
    list_display_links = ["external_number"]
    list_select_related = ["channel", "customer"]
    list_filter = ["status", "payment_state", "needs_attention", "channel", "currency", "placed_at"]
    search_fields = ["=external_number", "email", "customer__email", "=lines__sku"]
    date_hierarchy = "placed_at"
    show_full_result_count = False
    autocomplete_fields = ["customer"]
    inlines = [OrderLineInline, TaxLineInline, OrderAddressInline, OrderStatusChangeInline, PaymentInline, ShipmentInline, DocumentInline, ReturnInline]
    fieldsets = [
        (None, {"fields": ["channel", "connection", "external_number", "placed_at", "customer", "email", "customer_note"]}),
        (_("Status"), {"fields": ["status", "payment_state", "needs_attention", "attention_note"]}),
        (
            _("Amounts"),
            {"fields": ["currency", "prices_include_tax", "rounding_rule", "shipping_net_display", "shipping_tax_display", "shipping_gross_display", "total_net_display", "total_tax_display", "total_gross_display"]},
        ),
        (_("Record"), {"fields": ["created_at", "updated_at"]}),
    ]
    actions = [
        transition_action(OrderStatus.CONFIRMED, _("Mark selected orders as confirmed")),
        transition_action(OrderStatus.IN_FULFILMENT, _("Mark selected orders as in fulfilment")),
        transition_action(OrderStatus.SHIPPED, _("Mark selected orders as shipped")),
        transition_action(OrderStatus.DELIVERED, _("Mark selected orders as delivered")),
        transition_action(OrderStatus.COMPLETED, _("Mark selected orders as completed")),
        transition_action(OrderStatus.CANCELLED, _("Cancel selected orders")),
    ]

    shipping_net_display = money_column("shipping_net", _("shipping net"))
    shipping_tax_display = money_column("shipping_tax", _("shipping tax"))
    shipping_gross_display = money_column("shipping_gross", _("shipping gross"))
    total_net_display = money_column("total_net", _("total net"))
    total_tax_display = money_column("total_tax", _("total tax"))
    total_gross_display = money_column("total_gross", _("total gross"))

    def has_add_permission(self, request):
        # Orders come from channels through orders.services.create_order, which checks totals,
        # reserves stock and writes the first history row.
        return False

    def get_readonly_fields(self, request, obj=None):
        names = [name for fieldset in self.fieldsets for name in fieldset[1]["fields"]]
        return [name for name in names if name not in EDITABLE_ORDER_FIELDS]

    @admin.display(description=_("buyer"), ordering="email")
    def buyer(self, obj):
        return obj.customer or obj.email

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        # Deleting an order would drop its history, payments and documents with it.
        return False


@admin.register(OrderStatusChange)
class OrderStatusChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "order", "from_status", "to_status", "applied", "actor", "connection"]
    list_select_related = ["order__channel", "connection"]
    list_filter = ["to_status", "applied"]
    search_fields = ["=order__external_number", "actor"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = ["order", "from_status", "to_status", "applied", "actor", "user", "connection", "shown_note", "created_at"]
    readonly_fields = fields

    @admin.display(description=_("note"))
    def shown_note(self, change):
        return change.localized_note()
