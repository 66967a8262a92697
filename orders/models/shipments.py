from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.fields import QuantityField
from core.models import TimeStampedModel
from core.quantities import localized_quantity
from orders.models.checks import require_positive


class ShipmentStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    LABEL_CREATED = "label_created", _("label created")
    HANDED_OVER = "handed_over", _("handed over to carrier")
    IN_TRANSIT = "in_transit", _("in transit")
    OUT_FOR_DELIVERY = "out_for_delivery", _("out for delivery")
    DELIVERY_FAILED = "delivery_failed", _("delivery attempt failed")
    DELIVERED = "delivered", _("delivered")
    RETURNED = "returned", _("returned to sender")
    EXCEPTION = "exception", _("exception")
    CANCELLED = "cancelled", _("cancelled")


# Names of the carriers by the code that Shipment.carrier stores: the DHL connector's "dhl" and
# common carrier codes such as Sendcloud reports them. Brand names are not translated, and a
# code not listed is shown as stored.
CARRIER_LABELS = {
    "dhl": "DHL",
    "dhl_de": "DHL",
    "dhl_express": "DHL Express",
    "deutsche_post": "Deutsche Post",
    "dpd": "DPD",
    "gls": "GLS",
    "gls_de": "GLS",
    "hermes": "Hermes",
    "hermes_de": "Hermes",
    "ups": "UPS",
    "fedex": "FedEx",
    "postnl": "PostNL",
    "bpost": "bpost",
    "colissimo": "Colissimo",
    "sendcloud": "Sendcloud",
}


def carrier_label(code):
    """Return the carrier's name for its stored code; an unknown code is returned as it is."""
    return CARRIER_LABELS.get(code, code)


class Shipment(TimeStampedModel):
    """A parcel for (part of) an order, with its carrier, tracking number and label."""

    order = models.ForeignKey("orders.Order", verbose_name=_("order"), on_delete=models.PROTECT, related_name="shipments")
    connection = models.ForeignKey("integrations.Connection", verbose_name=_("connection"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    carrier = models.CharField(_("carrier"), max_length=50)
    service = models.CharField(_("service"), max_length=100, blank=True)
    external_id = models.CharField(_("carrier shipment id"), max_length=255, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True, db_index=True)
    tracking_url = models.URLField(_("tracking URL"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ShipmentStatus.choices, default=ShipmentStatus.PENDING, db_index=True)
    label = models.FileField(_("label"), upload_to="labels/%Y/%m/", blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["carrier", "tracking_number"], condition=~Q(tracking_number=""), name="shipment_unique_tracking_number"),
            # A carrier's first reports often come before the tracking number, so the carrier's
            # own shipment id must also be unique, or two workers could each create the parcel.
            models.UniqueConstraint(
                fields=["connection", "external_id"],
                condition=~Q(external_id="") & Q(connection__isnull=False),
                name="shipment_unique_external_id",
            ),
        ]

    def __str__(self):
        return f"{carrier_label(self.carrier)} {self.tracking_number or self.pk}"

    def clean(self):
        if self.shipped_at and self.delivered_at and self.delivered_at < self.shipped_at:
            raise ValidationError(
                {"delivered_at": gettext("Delivered at %(value)s is before shipped at %(shipped)s.") % {"value": self.delivered_at, "shipped": self.shipped_at}}
            )


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, verbose_name=_("shipment"), on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("orders.OrderLine", verbose_name=_("order line"), on_delete=models.PROTECT, related_name="shipment_lines")
    quantity = QuantityField(_("quantity"))

    class Meta:
        verbose_name = _("shipment line")
        verbose_name_plural = _("shipment lines")
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="shipment_line_quantity_positive")]

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


class ShipmentEvent(models.Model):
    """One status report of the carrier, kept even when it arrived late or out of order."""

    shipment = models.ForeignKey(Shipment, verbose_name=_("shipment"), on_delete=models.CASCADE, related_name="events")
    status = models.CharField(_("status"), max_length=20, choices=ShipmentStatus.choices)
    carrier_code = models.CharField(_("carrier status code"), max_length=100, blank=True)
    description = models.CharField(_("description"), max_length=500, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    applied = models.BooleanField(_("applied"), default=True, help_text=_("False when a later status was already known."))

    class Meta:
        verbose_name = _("shipment event")
        verbose_name_plural = _("shipment events")
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "status", "carrier_code", "occurred_at"], name="shipment_event_unique"),
        ]

    def __str__(self):
        return f"{self.get_status_display()} @ {self.occurred_at:%Y-%m-%d %H:%M}"
