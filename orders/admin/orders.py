from django import forms
from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin, money_column
from orders.admin.actors import ADMIN_PREFIX, actor_column, with_actor_names
from orders.admin.erpstate import ErpStateFilter, erp_state_cell
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
from orders.admin.links import inbound_events_link, outbound_messages_link
from orders.erpstate import erp_connection_id, with_erp_state
from orders.models import Order, OrderStatus, OrderStatusChange
from orders.models.status import status_label
from orders.services import InvalidTransition, LedElsewhere, transition_by_person

# Fields a support person may edit on an order: the flag and note about what needs doing.
# Everything else is led by the channel or the ERP and changes through services.
EDITABLE_ORDER_FIELDS = ["needs_attention", "attention_note"]

# The order page's links to integration lists, and the permission that viewing each list needs.
INTEGRATION_LINK_PERMISSIONS = {
    "outbound_messages_shown": "integrations.view_outboundmessage",
    "inbound_events_shown": "integrations.view_inboundevent",
}


def admin_actor(request):
    """Name the admin user in status history rows."""
    return f"{ADMIN_PREFIX}:{request.user.get_username()}"


def transition_selected(modeladmin, request, queryset, to_status):
    """Move each selected order to `to_status` through the order service, one transaction each.

    An order that does not move gets a warning naming its status, and the others still move.
    """
    target = status_label(to_status)
    moved = 0
    for order in queryset.select_related("channel"):
        try:
            change = transition_by_person(order.pk, to_status, actor=admin_actor(request), user=request.user)
        except LedElsewhere as refusal:
            modeladmin.message_user(request, refusal.messages[0], messages.WARNING)
            continue
        except InvalidTransition:
            # The service rolled back, so the stored status is the one it rejected the move from.
            order.refresh_from_db(fields=["status"])
            reason = gettext("Order %(order)s cannot move from %(current)s to %(target)s.") % {"order": order, "current": status_label(order.status), "target": target}
            modeladmin.message_user(request, reason, messages.WARNING)
            continue

        if change is None:
            reason = gettext("Order %(order)s is already %(status)s.") % {"order": order, "status": target}
        elif not change.applied:
            reason = gettext("Order %(order)s was not moved to %(target)s because it is already %(current)s. The attempt is recorded in its status history.") % {
                "order": order,
                "target": target,
                "current": status_label(change.from_status),
            }
        else:
            moved += 1
            continue
        modeladmin.message_user(request, reason, messages.WARNING)

    modeladmin.message_user(
        request,
        ngettext(
            "%(count)d order moved to %(status)s.",
            "%(count)d orders moved to %(status)s.",
            moved,
        )
        % {"count": moved, "status": target},
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

    def clean(self):
        cleaned_data = super().clean()
        # The flag marks work for a colleague, and only the note explains what to do.
        if cleaned_data.get("needs_attention") and not cleaned_data.get("attention_note"):
            self.add_error(
                "attention_note",
                gettext('Write in the note what needs attention, or clear "%(field)s".') % {"field": self.fields["needs_attention"].label},
            )
        return cleaned_data

    def _update_errors(self, errors):
        # Order.clean also checks the totals, which the form shows read-only. An error there
        # cannot sit beside a field the form does not have (Django raises ValueError for it),
        # so it is shown above the form and names the field.
        if hasattr(errors, "error_dict"):
            placed = {}
            for name, messages in errors.error_dict.items():
                if name == NON_FIELD_ERRORS or name in self.fields:
                    placed.setdefault(name, []).extend(messages)
                    continue
                label = capfirst(Order._meta.get_field(name).verbose_name)
                placed.setdefault(NON_FIELD_ERRORS, []).extend(f"{label}: {message}" for message in ValidationError(messages).messages)
            errors = ValidationError(placed)
        super()._update_errors(errors)

    def save(self, commit=True):
        # The translations belong to what a worker wrote; a person's edit replaces all of them.
        if "attention_note" in self.changed_data:
            self.instance.attention_note_translations = {}
        return super().save(commit=commit)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    form = OrderForm
    list_display = ["external_number", "channel", "placed_at", "buyer", "status", "payment_state", "erp_state_shown", "total_gross_display", "needs_attention"]
    list_display_links = ["external_number"]
    list_select_related = ["channel", "customer"]
    list_filter = ["status", "payment_state", ErpStateFilter, "needs_attention", "channel", "currency", "placed_at"]
    search_fields = ["=external_number", "email", "customer__email", "=lines__sku"]
    date_hierarchy = "placed_at"
    show_full_result_count = False
    autocomplete_fields = ["customer"]
    inlines = [OrderLineInline, TaxLineInline, OrderAddressInline, OrderStatusChangeInline, PaymentInline, ShipmentInline, DocumentInline, ReturnInline]
    fieldsets = [
        (None, {"fields": ["channel", "connection", "external_number", "placed_at", "customer", "email", "customer_note"]}),
        (
            _("Status"),
            {"fields": ["status", "erp_state_shown", "outbound_messages_shown", "inbound_events_shown", "payment_state", "needs_attention", "attention_note"]},
        ),
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

    def get_fieldsets(self, request, obj=None):
        # A link to a list that the user may not view would only lead to an error page.
        hidden = {
            name for name, permission in INTEGRATION_LINK_PERMISSIONS.items() if not request.user.has_perm(permission)
        }
        return [(title, {**options, "fields": [name for name in options["fields"] if name not in hidden]}) for title, options in self.fieldsets]

    def get_queryset(self, request):
        # The list shows and filters by the ERP state, which each order gets in the list's own query.
        return with_erp_state(super().get_queryset(request), erp_connection_id())

    @admin.display(description=_("ERP delivery"))
    def erp_state_shown(self, order):
        return erp_state_cell(order)

    @admin.display(description=_("outbound messages"))
    def outbound_messages_shown(self, order):
        return outbound_messages_link(order)

    @admin.display(description=_("inbound events"))
    def inbound_events_shown(self, order):
        return inbound_events_link(order)

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


class TargetStatusFilter(admin.ChoicesFieldListFilter):
    """The filter on to_status, titled so it does not read "By to" ("Nach nach" in German)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = _("target status")


@admin.register(OrderStatusChange)
class OrderStatusChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "order", "from_status", "to_status", "applied", "actor_display", "connection"]
    list_select_related = ["order__channel", "user", "connection"]
    list_filter = [("to_status", TargetStatusFilter), "applied"]
    # The stored actor codes stay searchable, such as "shopware:shop-de".
    search_fields = ["=order__external_number", "actor"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = ["order", "from_status", "to_status", "applied", "actor_display", "user", "connection", "shown_note", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return with_actor_names(super().get_queryset(request))

    @admin.display(description=_("changed by"), ordering="actor")
    def actor_display(self, change):
        return actor_column(change)

    @admin.display(description=_("note"))
    def shown_note(self, change):
        return change.localized_note()
