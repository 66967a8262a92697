from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.admin import format_money
from core.fields import CurrencyField, MoneyField
from core.models import TimeStampedModel
from orders.models.checks import require_not_negative, require_positive, require_precision


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    AUTHORIZED = "authorized", _("authorized")
    CAPTURED = "captured", _("captured")
    FAILED = "failed", _("failed")
    CANCELED = "canceled", _("canceled")
    REFUNDED = "refunded", _("refunded")
    PARTIALLY_REFUNDED = "partially_refunded", _("partially refunded")
    DISPUTED = "disputed", _("disputed")


# Names of the payment providers by the code that Payment.provider stores. Brand names are
# not translated.
PAYMENT_PROVIDER_LABELS = {
    "stripe": "Stripe",
    "paypal": "PayPal",
    "mollie": "Mollie",
}

# Labels of the payment methods by the code that Payment.method stores: Mollie's method ids,
# Stripe's payment method types and common shop codes. Brand names are not translated, and a
# code not listed is shown as stored.
PAYMENT_METHOD_LABELS = {
    "card": pgettext_lazy("payment method", "card"),
    "creditcard": pgettext_lazy("payment method", "credit card"),
    "credit_card": pgettext_lazy("payment method", "credit card"),
    "banktransfer": pgettext_lazy("payment method", "bank transfer"),
    "bank_transfer": pgettext_lazy("payment method", "bank transfer"),
    "prepayment": pgettext_lazy("payment method", "prepayment"),
    "invoice": pgettext_lazy("payment method", "invoice"),
    "directdebit": pgettext_lazy("payment method", "SEPA direct debit"),
    "sepa_debit": pgettext_lazy("payment method", "SEPA direct debit"),
    "cash_on_delivery": pgettext_lazy("payment method", "cash on delivery"),
    "giftcard": pgettext_lazy("payment method", "gift card"),
    "voucher": pgettext_lazy("payment method", "voucher"),
    "paypal": "PayPal",
    "klarna": "Klarna",
    "applepay": "Apple Pay",
    "googlepay": "Google Pay",
    "ideal": "iDEAL",
    "bancontact": "Bancontact",
    "eps": "EPS",
    "giropay": "giropay",
    "sofort": "Sofort",
    "przelewy24": "Przelewy24",
    "p24": "Przelewy24",
    "twint": "TWINT",
    "blik": "BLIK",
    "trustly": "Trustly",
}


def payment_provider_label(code):
    """Return the provider's name for its stored code; an unknown code is returned as it is."""
    return PAYMENT_PROVIDER_LABELS.get(code, code)


def payment_method_label(code):
    """Return the payment method's label in the active language; an unknown code is returned as it is."""
    return PAYMENT_METHOD_LABELS.get(code, code)


class Payment(TimeStampedModel):
    """A payment at a provider (Stripe payment intent, PayPal capture, Mollie payment)."""

    order = models.ForeignKey("orders.Order", verbose_name=_("order"), null=True, blank=True, on_delete=models.PROTECT, related_name="payments")
    connection = models.ForeignKey("integrations.Connection", verbose_name=_("connection"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    provider = models.CharField(_("provider"), max_length=50)
    external_id = models.CharField(_("provider payment id"), max_length=255)
    method = models.CharField(_("method"), max_length=50, blank=True)
    currency = CurrencyField()
    amount = MoneyField(_("amount"))
    captured_amount = MoneyField(_("captured"), default=0)
    refunded_amount = MoneyField(_("refunded"), default=0)
    status = models.CharField(_("status"), max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING, db_index=True)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "external_id"], name="payment_unique_provider_id"),
            models.CheckConstraint(condition=Q(amount__gte=0) & Q(captured_amount__gte=0) & Q(refunded_amount__gte=0), name="payment_amounts_not_negative"),
            models.CheckConstraint(condition=Q(refunded_amount__lte=models.F("amount")), name="payment_refund_within_amount"),
        ]

    def __str__(self):
        return f"{payment_provider_label(self.provider)} {self.external_id} ({format_money(self.amount, self.currency)})"

    def clean(self):
        errors = {}
        for name in ("amount", "captured_amount", "refunded_amount"):
            require_not_negative(errors, name, getattr(self, name))
            require_precision(errors, name, getattr(self, name), self.currency)
        if self.amount is not None and self.refunded_amount is not None and self.refunded_amount > self.amount:
            errors.setdefault("refunded_amount", []).append(
                gettext("Refunded %(value)s is more than the payment amount %(amount)s.") % {"value": self.refunded_amount, "amount": self.amount}
            )
        if errors:
            raise ValidationError(errors)


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")
    CANCELED = "canceled", _("canceled")


class Refund(TimeStampedModel):
    payment = models.ForeignKey(Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="refunds")
    external_id = models.CharField(_("provider refund id"), max_length=255)
    currency = CurrencyField()
    amount = MoneyField(_("amount"))
    status = models.CharField(_("status"), max_length=20, choices=RefundStatus.choices, default=RefundStatus.PENDING)
    reason = models.CharField(_("reason"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "external_id"], name="refund_unique_provider_id"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self):
        return f"{self.external_id} ({format_money(self.amount, self.currency)})"

    def clean(self):
        errors = {}
        require_positive(errors, "amount", self.amount)
        require_precision(errors, "amount", self.amount, self.currency)
        if self.payment_id and self.currency and self.currency != self.payment.currency:
            errors.setdefault("currency", []).append(
                gettext("Refund currency %(value)s differs from the payment's currency %(expected)s.") % {"value": self.currency, "expected": self.payment.currency}
            )
        if errors:
            raise ValidationError(errors)
