from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.fields import CurrencyField, MoneyField
from core.models import TimeStampedModel
from orders.models.checks import require_precision, require_sum


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", _("invoice")
    CREDIT_NOTE = "credit_note", _("credit note")
    DELIVERY_NOTE = "delivery_note", _("delivery note")


class Document(TimeStampedModel):
    """An invoice, credit note or delivery note, usually issued by the ERP, with its file."""

    order = models.ForeignKey("orders.Order", verbose_name=_("order"), on_delete=models.PROTECT, related_name="documents")
    connection = models.ForeignKey("integrations.Connection", verbose_name=_("issued by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind.choices)
    number = models.CharField(_("number"), max_length=100)
    external_id = models.CharField(_("external id"), max_length=255, blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    currency = CurrencyField(blank=True)
    amount_net = MoneyField(_("net"), null=True, blank=True)
    amount_tax = MoneyField(_("tax"), null=True, blank=True)
    amount_gross = MoneyField(_("gross"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to="documents/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-issued_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["kind", "number"], name="document_unique_kind_number")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}"

    def clean(self):
        errors = {}
        amounts = {name: getattr(self, name) for name in ("amount_net", "amount_tax", "amount_gross")}
        if not self.currency and any(value is not None for value in amounts.values()):
            errors["currency"] = [gettext("Document %(number)s has amounts but no currency. Enter the currency, such as EUR.") % {"number": self.number}]
        for name, value in amounts.items():
            require_precision(errors, name, value, self.currency)
        require_sum(errors, "amount_gross", self.amount_gross, self.amount_net, self.amount_tax, currency=self.currency)
        if errors:
            raise ValidationError(errors)
