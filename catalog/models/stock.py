from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.fields import QuantityField
from core.models import TimeStampedModel
from core.quantities import localized_quantity, signed_quantity


class Warehouse(TimeStampedModel):
    code = models.SlugField(_("code"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["code"]

    def __str__(self):
        return self.name or self.code


class StockLevel(TimeStampedModel):
    """On-hand quantity of a product in a warehouse, as the leading system reports it.

    It only ever changes through StockMovement rows (see catalog.services.stock), so two
    writers add up instead of overwriting each other.
    """

    product = models.ForeignKey("catalog.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="stock_levels")
    warehouse = models.ForeignKey(Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="stock_levels")
    on_hand = QuantityField(_("on hand"), default=0)
    reserved = QuantityField(_("reserved"), default=0, help_text=_("Open reservations for orders the leading system has not confirmed yet."))

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        ordering = ["product", "warehouse"]
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"], name="stock_level_unique_product_warehouse"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_level_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stock_level_reserved_not_negative"),
            models.CheckConstraint(condition=Q(reserved__lte=models.F("on_hand")), name="stock_level_reserved_within_on_hand"),
        ]

    def __str__(self):
        return f"{self.product} @ {self.warehouse}: {localized_quantity(self.on_hand)}"

    @property
    def available(self):
        return max(self.on_hand - self.reserved, 0)

    def clean(self):
        errors = {}
        for name in ("on_hand", "reserved"):
            value = getattr(self, name)
            if value is not None and value < 0:
                errors[name] = _("%(value)s is negative; enter zero or more.") % {"value": value}
        if not errors and self.reserved is not None and self.on_hand is not None and self.reserved > self.on_hand:
            errors["reserved"] = _("Reserved %(value)s is more than the %(on_hand)s on hand.") % {"value": self.reserved, "on_hand": self.on_hand}
        if errors:
            raise ValidationError(errors)


class MovementReason(models.TextChoices):
    SYNC = "sync", _("stock reported by the leading system")
    ADJUSTMENT = "adjustment", _("manual adjustment")
    RESERVATION = "reservation", _("reserved for an order")
    RELEASE = "release", _("reservation released")
    SHIPMENT = "shipment", _("shipped")
    RETURN = "return", _("returned")


class ReleaseReason(models.TextChoices):
    """Reason for releasing a stock reservation, stored as its code and shown in the reader's language."""

    ORDER_CANCELLED = "order_cancelled", _("order cancelled")
    ERP_HOLDS_STOCK = "erp_holds_stock", _("ERP holds the stock of the confirmed order")


class StockMovement(models.Model):
    """One change to on-hand or reserved quantity; the ledger that explains every stock level."""

    product = models.ForeignKey("catalog.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="stock_movements")
    warehouse = models.ForeignKey(Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="stock_movements")
    on_hand_delta = QuantityField(_("on-hand change"), default=0)
    reserved_delta = QuantityField(_("reserved change"), default=0)
    reason = models.CharField(_("reason"), max_length=20, choices=MovementReason.choices)
    reference = models.CharField(_("reference"), max_length=255, blank=True, help_text=_("Order number, sync run or user that caused the change."))
    connection = models.ForeignKey("integrations.Connection", verbose_name=_("connection"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.product} @ {self.warehouse}: {signed_quantity(self.on_hand_delta)} / {signed_quantity(self.reserved_delta)}"

    def reference_label(self):
        """Return the reference in the active language.

        A release's reference is "<order>: <release reason code>", so its code is replaced with
        the reason's label. Any other reference is returned as stored.
        """
        if self.reason == MovementReason.RELEASE:
            order, separator, code = self.reference.rpartition(": ")
            if separator and code in ReleaseReason.values:
                return f"{order}: {ReleaseReason(code).label}"
        return self.reference


class ReservationState(models.TextChoices):
    OPEN = "open", _("open")
    RELEASED = "released", _("released")


class StockReservation(TimeStampedModel):
    """Stock held for an order line until the leading system's stock reflects the order."""

    order_line = models.ForeignKey("orders.OrderLine", verbose_name=_("order line"), on_delete=models.CASCADE, related_name="reservations")
    product = models.ForeignKey("catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="reservations")
    warehouse = models.ForeignKey(Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="reservations")
    quantity = QuantityField(_("quantity"))
    state = models.CharField(_("state"), max_length=10, choices=ReservationState.choices, default=ReservationState.OPEN)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    # A reservation released before the codes existed keeps its text where the migration to
    # codes did not recognise it, and get_release_reason_display returns that text as stored.
    release_reason = models.CharField(_("release reason"), max_length=255, blank=True, choices=ReleaseReason.choices)

    class Meta:
        verbose_name = _("stock reservation")
        verbose_name_plural = _("stock reservations")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="stock_reservation_quantity_positive"),
            models.UniqueConstraint(fields=["order_line", "warehouse"], name="stock_reservation_unique_line_warehouse"),
        ]

    def __str__(self):
        return f"{localized_quantity(self.quantity)} x {self.product} ({self.get_state_display()})"

    def clean(self):
        if self.quantity is not None and self.quantity <= 0:
            raise ValidationError({"quantity": _("%(value)s is not greater than zero. Enter a positive number.") % {"value": self.quantity}})


class ChannelStockBuffer(models.Model):
    """Units held back from a channel, so a slow marketplace does not sell the last pieces.

    A row without product applies to every product of the channel that has no row of its own.
    """

    channel = models.ForeignKey("catalog.Channel", verbose_name=_("channel"), on_delete=models.CASCADE, related_name="stock_buffers")
    product = models.ForeignKey("catalog.Product", verbose_name=_("product"), null=True, blank=True, on_delete=models.CASCADE, related_name="stock_buffers")
    quantity = QuantityField(_("buffer"), default=0)

    class Meta:
        verbose_name = _("channel stock buffer")
        verbose_name_plural = _("channel stock buffers")
        constraints = [
            models.UniqueConstraint(fields=["channel", "product"], name="channel_buffer_unique", nulls_distinct=False),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="channel_buffer_not_negative"),
        ]

    def __str__(self):
        return f"{self.channel}: {localized_quantity(self.quantity)}"

    def clean(self):
        if self.quantity is not None and self.quantity < 0:
            raise ValidationError({"quantity": _("%(value)s is negative; enter zero or more.") % {"value": self.quantity}})
