from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.fields import QuantityField
from core.models import TimeStampedModel
from core.quantities import localized_quantity
from orders.models.checks import require_positive


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", _("requested")
    RECEIVED = "received", _("received")
    REFUNDED = "refunded", _("refunded")
    REJECTED = "rejected", _("rejected")


class Return(TimeStampedModel):
    order = models.ForeignKey("orders.Order", verbose_name=_("order"), on_delete=models.PROTECT, related_name="returns")
    external_id = models.CharField(_("external id"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ReturnStatus.choices, default=ReturnStatus.REQUESTED)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.order} ({self.get_status_display()})"


class ReturnLine(models.Model):
    return_request = models.ForeignKey(Return, verbose_name=_("return"), on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("orders.OrderLine", verbose_name=_("order line"), on_delete=models.PROTECT, related_name="return_lines")
    quantity = QuantityField(_("quantity"))
    reason = models.CharField(_("reason"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("return line")
        verbose_name_plural = _("return lines")
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="return_line_quantity_positive")]

    def __str__(self):
        return f"{localized_quantity(self.quantity)} x {self.order_line.sku}"

    def clean(self):
        errors = {}
        require_positive(errors, "quantity", self.quantity)
        if self.order_line_id and self.quantity is not None and self.quantity > self.order_line.quantity:
            errors.setdefault("quantity", []).append(
                gettext("%(value)s is more than the %(ordered)s ordered of SKU %(sku)s.")
                % {"value": self.quantity, "ordered": self.order_line.quantity, "sku": self.order_line.sku}
            )
        if errors:
            raise ValidationError(errors)
