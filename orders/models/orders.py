from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import format_money
from core.fields import CurrencyField, MoneyField, QuantityField
from core.models import PostalAddress, TimeStampedModel
from core.quantities import localized_quantity
from core.translation import in_active_language
from orders.models.checks import (
    require_not_negative,
    require_positive,
    require_precision,
    require_sum,
    totals_errors,
)
from orders.models.status import OrderStatus, can_transition, status_label


class RoundingRule(models.TextChoices):
    """Where the source system rounded tax: Kontor keeps its totals and checks them by its rule."""

    PER_LINE = "line", _("per line")
    PER_ORDER = "order", _("per order")


class PaymentState(models.TextChoices):
    UNPAID = "unpaid", _("unpaid")
    AUTHORIZED = "authorized", _("authorized")
    PAID = "paid", _("paid")
    PARTIALLY_REFUNDED = "partially_refunded", _("partially refunded")
    REFUNDED = "refunded", _("refunded")
    FAILED = "failed", _("failed")


class Order(TimeStampedModel):
    """An order taken by a channel, with the totals exactly as the channel computed them."""

    channel = models.ForeignKey("catalog.Channel", verbose_name=_("channel"), on_delete=models.PROTECT, related_name="orders")
    connection = models.ForeignKey("integrations.Connection", verbose_name=_("received from"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    external_number = models.CharField(_("order number"), max_length=100, help_text=_("The number the channel gave the order."))
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), null=True, blank=True, on_delete=models.SET_NULL, related_name="orders")
    email = models.EmailField(_("email"), blank=True)
    currency = CurrencyField()
    prices_include_tax = models.BooleanField(_("prices include tax"), default=True)
    rounding_rule = models.CharField(_("tax rounding"), max_length=5, choices=RoundingRule.choices, default=RoundingRule.PER_LINE)

    shipping_net = MoneyField(_("shipping net"), default=0)
    shipping_tax = MoneyField(_("shipping tax"), default=0)
    shipping_gross = MoneyField(_("shipping gross"), default=0)
    total_net = MoneyField(_("total net"))
    total_tax = MoneyField(_("total tax"))
    total_gross = MoneyField(_("total gross"))

    status = models.CharField(_("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.NEW, db_index=True)
    payment_state = models.CharField(_("payment"), max_length=20, choices=PaymentState.choices, default=PaymentState.UNPAID, db_index=True)
    placed_at = models.DateTimeField(_("placed at"), db_index=True)
    needs_attention = models.BooleanField(_("needs attention"), default=False, help_text=_("Set when Kontor could not reserve stock or apply a change; the reason is in the note."))
    attention_note = models.TextField(_("attention note"), blank=True)
    # The note in every language Kontor ships while it is what a worker wrote; cleared once a
    # person edits the note (see orders.services.set_attention_note).
    attention_note_translations = models.JSONField(_("attention note translations"), default=dict, blank=True, editable=False)
    customer_note = models.TextField(_("customer note"), blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_number"], name="order_unique_channel_number"),
            models.CheckConstraint(condition=Q(total_gross__gte=0) & Q(total_net__gte=0), name="order_totals_not_negative"),
            models.CheckConstraint(condition=Q(shipping_gross__gte=0), name="order_shipping_not_negative"),
        ]

    def __str__(self):
        return f"{self.channel.code}/{self.external_number}"

    def localized_attention_note(self):
        """Return the attention note in the active language, or as stored when it has no translations."""
        return in_active_language(self.attention_note, self.attention_note_translations)

    def clean(self):
        """Check amounts, the status move and, once the order has lines, that its totals add up.

        New orders are checked as a whole, lines included, by orders.services.validate_order_input.
        """
        errors = {}
        for name in ("shipping_net", "shipping_tax", "shipping_gross", "total_net", "total_tax", "total_gross"):
            value = getattr(self, name)
            require_not_negative(errors, name, value)
            require_precision(errors, name, value, self.currency)
        require_sum(errors, "total_gross", self.total_gross, self.total_net, self.total_tax, currency=self.currency)
        require_sum(errors, "shipping_gross", self.shipping_gross, self.shipping_net, self.shipping_tax, currency=self.currency)

        if self.pk is not None:
            self._check_status_move(errors)
            if not errors:
                lines = list(self.lines.all())
                tax_lines = list(self.tax_lines.all())
                for field, message in totals_errors(self, lines, tax_lines, round_once=self.rounding_rule == RoundingRule.PER_ORDER).items():
                    errors.setdefault(field, []).append(message)
        if errors:
            raise ValidationError(errors)

    def _check_status_move(self, errors):
        stored = Order.objects.filter(pk=self.pk).values_list("status", flat=True).first()
        if stored is None or stored == self.status or can_transition(stored, self.status):
            return
        errors.setdefault("status", []).append(
            gettext("Order %(order)s cannot move from status %(current)s to %(value)s.")
            % {"order": self.external_number, "current": status_label(stored), "value": status_label(self.status)}
        )


class OrderLine(models.Model):
    """One position of an order. SKU and name are copied so the line survives a deleted product."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(_("position"))
    product = models.ForeignKey("catalog.Product", verbose_name=_("product"), null=True, blank=True, on_delete=models.SET_NULL, related_name="order_lines")
    sku = models.CharField(_("SKU"), max_length=100)
    name = models.CharField(_("name"), max_length=500, blank=True)
    external_id = models.CharField(_("external line id"), max_length=100, blank=True)
    quantity = QuantityField(_("quantity"))
    unit_price = MoneyField(_("unit price"), help_text=_("Net or gross as the order's prices-include-tax flag says."))
    tax_rate = models.DecimalField(_("tax rate %"), max_digits=6, decimal_places=3, default=0)
    total_net = MoneyField(_("total net"))
    total_tax = MoneyField(_("total tax"))
    total_gross = MoneyField(_("total gross"))
    discount = MoneyField(_("discount"), default=0)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="order_line_unique_position"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="order_line_unit_price_not_negative"),
            models.CheckConstraint(condition=Q(tax_rate__gte=0), name="order_line_tax_rate_not_negative"),
        ]

    def __str__(self):
        return f"{localized_quantity(self.quantity)} x {self.sku}"

    def clean(self):
        errors = {}
        require_positive(errors, "quantity", self.quantity)
        require_not_negative(errors, "unit_price", self.unit_price)
        require_not_negative(errors, "tax_rate", self.tax_rate)
        require_not_negative(errors, "discount", self.discount)
        require_sum(errors, "total_gross", self.total_gross, self.total_net, self.total_tax, currency=self._order_currency())
        if errors:
            raise ValidationError(errors)

    def _order_currency(self):
        # A line validated without an order, such as from a form with the order left empty, has
        # no currency. The order field reports the missing order.
        try:
            return self.order.currency
        except Order.DoesNotExist:
            return None


class TaxLine(models.Model):
    """Tax of an order at one rate, as the channel reported it."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="tax_lines")
    rate = models.DecimalField(_("rate %"), max_digits=6, decimal_places=3)
    net = MoneyField(_("net"))
    tax = MoneyField(_("tax"))
    label = models.CharField(_("label"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("tax line")
        verbose_name_plural = _("tax lines")
        constraints = [models.UniqueConstraint(fields=["order", "rate"], name="tax_line_unique_rate")]

    def __str__(self):
        rate = number_format(self.rate.normalize())
        if self.order_id is None:
            cents = self.tax.quantize(Decimal("0.01"))
            return f"{rate} %: {number_format(cents if cents == self.tax else self.tax.normalize(), force_grouping=True)}"
        return f"{rate} %: {format_money(self.tax, self.order.currency)}"

    def clean(self):
        errors = {}
        require_not_negative(errors, "rate", self.rate)
        if errors:
            raise ValidationError(errors)


class AddressKind(models.TextChoices):
    BILLING = "billing", _("billing")
    SHIPPING = "shipping", _("shipping")


class OrderAddress(PostalAddress):
    """A copy of the address as the order was placed; later edits of the customer do not change it."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(_("kind"), max_length=10, choices=AddressKind.choices)

    class Meta:
        verbose_name = _("order address")
        verbose_name_plural = _("order addresses")
        constraints = [models.UniqueConstraint(fields=["order", "kind"], name="order_address_unique_kind")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.street}, {self.postal_code} {self.city}"
