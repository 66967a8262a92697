"""The order status state machine: the statuses, the allowed transitions and their history."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.translation import in_active_language


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


# The normal path of an order. A report may skip steps forward (a carrier's "delivered" can
# arrive before its "in transit"), so every later status on the path is a valid next one.
MAIN_PATH = [
    OrderStatus.NEW,
    OrderStatus.CONFIRMED,
    OrderStatus.IN_FULFILMENT,
    OrderStatus.PARTIALLY_SHIPPED,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.COMPLETED,
]
CANCELLABLE = {OrderStatus.NEW, OrderStatus.CONFIRMED, OrderStatus.IN_FULFILMENT}
RETURNABLE = {OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED}


def _build_transitions():
    transitions = {status: set(MAIN_PATH[index + 1 :]) for index, status in enumerate(MAIN_PATH)}
    for status in CANCELLABLE:
        transitions[status].add(OrderStatus.CANCELLED)
    for status in RETURNABLE:
        transitions[status].add(OrderStatus.RETURNED)
    # Cancelled and returned are terminal.
    transitions[OrderStatus.CANCELLED] = set()
    transitions[OrderStatus.RETURNED] = set()
    return transitions


# Allowed moves, kept as data so the admin, the services and the tests read the same table.
TRANSITIONS = _build_transitions()

# How far along the normal path a status is; a move to a lower rank goes backwards.
RANK = {status: index for index, status in enumerate(MAIN_PATH)} | {
    OrderStatus.CANCELLED: len(MAIN_PATH),
    OrderStatus.RETURNED: len(MAIN_PATH),
}


def is_backwards(from_status, to_status):
    """Return True when `to_status` is a late report of a step the order has already passed.

    A cancelled order never passed the later steps, so a shipping report for it is not
    "late" but a conflict, and the caller must raise it.
    """
    if from_status == OrderStatus.CANCELLED or to_status not in MAIN_PATH:
        return False
    return RANK[to_status] < RANK[from_status]


def can_transition(from_status, to_status):
    return to_status in TRANSITIONS.get(from_status, set())


def status_label(value):
    """Return the translated label of an order status, or `value` as stored when it is no status."""
    return str(dict(OrderStatus.choices).get(value, value))


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
    # The note in every language Kontor ships, when a connector or a job wrote it (see core.translation).
    note_translations = models.JSONField(_("note translations"), default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(_("changed at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("order status change")
        verbose_name_plural = _("order status history")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.order}: {status_label(self.from_status) if self.from_status else '-'} → {status_label(self.to_status)}"

    def localized_note(self):
        """Return the note in the active language, or as stored when it has no translations."""
        return in_active_language(self.note, self.note_translations)
