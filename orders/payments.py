"""Provider-neutral payment reports: the facts a Stripe, PayPal or Mollie event reports about one payment.

Connector mappers build these from provider payloads; orders.services_payments applies them.
Every amount is a Decimal in the payment's currency, checked against the currency's minor unit.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.money import LocalizedAmount, to_decimal, validate_amount_precision, validate_currency
from core.translation import Translatable
from integrations.errors import ConnectorError
from orders.models import PaymentStatus, RefundStatus
from orders.models.payments import payment_provider_label


class Dispute:
    """State of a chargeback or dispute on the payment, as a report gives it."""

    NONE = ""
    OPEN = "open"
    WON = "won"
    LOST = "lost"


@dataclass(frozen=True)
class OrderReference:
    """Order named by a provider event: Kontor's id, or the channel's order number."""

    order_id: int | None = None
    order_number: str = ""
    channel_code: str = ""

    def __str__(self):
        if self.order_id:
            return f"#{self.order_id}"
        return "/".join(part for part in (self.channel_code, self.order_number) if part) or "-"


@dataclass(frozen=True)
class RefundReport:
    external_id: str
    amount: Decimal
    status: str = RefundStatus.SUCCEEDED
    reason: str = ""


@dataclass
class PaymentReport:
    """One provider event about one payment, reduced to facts that only grow.

    `status` is the provider's non-money state (pending, authorized, failed, canceled) or
    None; captured and refunded amounts are cumulative totals as the provider reported them,
    None when the event lacks them. `amount` is the full payment amount, None when unknown.
    """

    provider: str
    external_id: str
    currency: str
    amount: Decimal | None = None
    status: str | None = None
    captured_amount: Decimal | None = None
    refunded_amount: Decimal | None = None
    refunds: list[RefundReport] = field(default_factory=list)
    dispute: str = Dispute.NONE
    order: OrderReference = field(default_factory=OrderReference)
    method: str = ""
    occurred_at: datetime | None = None

    def validate(self):
        """Raise InvalidPaymentReport naming the first value that is not a valid amount.

        The reasons stay Translatables, so the stored sync error reads in each language entirely.
        """
        amounts = [
            (_("amount"), self.amount),
            (_("captured amount"), self.captured_amount),
            (_("refunded amount"), self.refunded_amount),
        ]
        amounts += [(Translatable(_("refund %(refund)s"), refund=refund.external_id), refund.amount) for refund in self.refunds]
        carries_money = any(value is not None for _name, value in amounts)
        # A dispute report may name no currency; it then changes no amount either.
        if carries_money or self.currency:
            try:
                validate_currency(self.currency)
            except ValidationError:
                raise InvalidPaymentReport(self, Translatable(_("currency %(value)s is not an ISO 4217 code"), value=self.currency)) from None

        for name, value in amounts:
            if value is None:
                continue
            value = to_decimal(value)
            if value < 0:
                raise InvalidPaymentReport(self, Translatable(_("%(name)s %(value)s is negative"), name=name, value=LocalizedAmount(value)))
            try:
                validate_amount_precision(value, self.currency)
            except ValidationError:
                raise InvalidPaymentReport(
                    self,
                    Translatable(
                        _("%(name)s %(value)s is finer than the minor unit of %(currency)s"),
                        name=name, value=LocalizedAmount(value), currency=self.currency,
                    ),
                ) from None
        if self.status is not None and self.status not in PaymentStatus.values:
            raise InvalidPaymentReport(self, Translatable(_("payment status %(value)s is unknown"), value=self.status))


class PaymentEventError(ConnectorError):
    """A genuine provider event that Kontor cannot apply until someone acts on it.

    `reason` is a Translatable, so the stored sync error states it in each language; plain text
    is for technical detail that needs no translation.
    """

    code = "payment_event_error"

    def __init__(self, report, reason, **kwargs):
        super().__init__(f"{report.provider} payment {report.external_id}: {self.code}", **kwargs)
        self.report = report
        self.reason = reason

    def message_params(self):
        # The messages name the provider by its brand, such as "Stripe". The exception's own
        # text, for developers, keeps the stored code.
        params = super().message_params()
        params.update(
            provider=payment_provider_label(self.report.provider),
            payment=self.report.external_id,
            order=str(self.report.order),
            reason=self.reason,
        )
        return params


class UnmatchedPaymentEvent(PaymentEventError):
    """The event names no order Kontor has, or its amount or currency differ from the order's."""

    code = "unmatched_payment"
    message_template = _(
        "%(provider)s payment %(payment)s (order reference %(order)s) was not applied: %(reason)s. "
        "Link the payment to the right order under \"Unmatched provider events\" and reprocess it."
    )


class InvalidPaymentReport(PaymentEventError):
    code = "invalid_payment_event"
    message_template = _(
        "%(provider)s payment %(payment)s was not applied because the event is invalid: %(reason)s. "
        "Check the payment at the provider."
    )


def unreadable_reason(part, error):
    """Return the reason for an event whose `part` (an object or event id) a mapper could not read.

    The error type and text are technical detail for support, such as the missing field's name.
    """
    return Translatable(_("%(part)s could not be read (%(error)s)"), part=part, error=f"{type(error).__name__}: {error}")


class PaymentNotYetKnown(PaymentEventError):
    """A refund or dispute arrived before the payment it belongs to; retried until it is known."""

    code = "payment_not_yet_known"
    retryable = True
    message_template = _(
        "%(provider)s reported a change to payment %(payment)s before the payment itself. "
        "Kontor retries automatically; if this stays, check the payment at the provider."
    )
