"""The order status state machine: the statuses, the allowed transitions and their history."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    NEW = "new", _("new")
    CONFIRMED = "confirmed", _("confirmed by ERP")
    IN_FULFILMENT = "in_fulfilment", _("in fulfilment")
    PARTIALLY_SHIPPED = "partially_shipped", _("partially shipped")
    SHIPPED = "shipped", _("shipped")
    DELIVERED = "delivered", _("delivered")
    COMPLETED = "completed", _("completed")
    CANCELLED = "cancelled", _("cancelled")
    RETURNED = "returned", _("returned")


# Allowed moves, kept as data so the admin, the services and the tests read the same table.
# Terminal statuses (cancelled, returned) have no way out.
TRANSITIONS = {
    OrderStatus.NEW: {OrderStatus.CONFIRMED, OrderStatus.IN_FULFILMENT, OrderStatus.CANCELLED},
    OrderStatus.CONFIRMED: {OrderStatus.IN_FULFILMENT, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.CANCELLED},
    OrderStatus.IN_FULFILMENT: {OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.CANCELLED},
    OrderStatus.PARTIALLY_SHIPPED: {OrderStatus.SHIPPED, OrderStatus.DELIVERED},
    OrderStatus.SHIPPED: {OrderStatus.DELIVERED, OrderStatus.RETURNED},
    OrderStatus.DELIVERED: {OrderStatus.COMPLETED, OrderStatus.RETURNED},
    OrderStatus.COMPLETED: {OrderStatus.RETURNED},
    OrderStatus.CANCELLED: set(),
    OrderStatus.RETURNED: set(),
}

# How far along the normal path a status is; a move to a lower rank goes backwards.
RANK = {
    OrderStatus.NEW: 0,
    OrderStatus.CONFIRMED: 1,
    OrderStatus.IN_FULFILMENT: 2,
    OrderStatus.PARTIALLY_SHIPPED: 3,
    OrderStatus.SHIPPED: 4,
    OrderStatus.DELIVERED: 5,
    OrderStatus.COMPLETED: 6,
    OrderStatus.RETURNED: 7,
    OrderStatus.CANCELLED: 7,
}


def can_transition(from_status, to_status):
    return to_status in TRANSITIONS.get(from_status, set())


class OrderStatusChange(models.Model):
    """One status transition: from where to where, who or what made it, through which connection."""

    order = models.ForeignKey("orders.Order", verbose_name=_("order"), on_delete=models.CASCADE, related_name="status_history")
    from_status = models.CharField(_("from"), max_length=20, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=OrderStatus.choices)
    applied = models.BooleanField(_("applied"), default=True, help_text=_("False when the change was recorded but not applied, for example a report that would move the order backwards."))
    actor = models.CharField(_("changed by"), max_length=200, help_text=_("A user, a connector or a system job."))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    connection = models.ForeignKey("integrations.Connection", verbose_name=_("connection"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("changed at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("order status change")
        verbose_name_plural = _("order status history")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.order}: {self.from_status or '-'} → {self.to_status}"
