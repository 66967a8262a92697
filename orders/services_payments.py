"""Apply provider payment reports to canonical payments, refunds and the order's payment state.

Reports can arrive late, twice or out of order, so nothing here replays a sequence. Each
report only adds facts that grow (captured total, refunded total, refunds by id, a status
that only moves forward), and the payment status and the order's payment state are derived
from the facts. Any order of the same reports therefore ends in the same state.

Locks: the payment row first, then the order row, so two workers applying reports for one
payment wait for each other instead of deadlocking.
"""

import logging
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from core.money import format_amount, quantize
from core.translation import Translatable
from integrations.domains import Domain
from integrations.services.outbox import enqueue_outbound
from orders.models import Order, Payment, PaymentState, PaymentStatus, Refund, RefundStatus
from orders.models.payments import payment_provider_label
from orders.payments import Dispute, InvalidPaymentReport, PaymentNotYetKnown, UnmatchedPaymentEvent
from orders.services import set_attention_note

logger = logging.getLogger(__name__)

ZERO = Decimal(0)

# States a payment passes before money moves; a report never moves a payment down this list.
# A failed attempt can be followed by a successful one, and a cancellation ends the payment.
PRE_CAPTURE_RANK = {
    PaymentStatus.PENDING: 0,
    PaymentStatus.FAILED: 1,
    PaymentStatus.AUTHORIZED: 2,
    PaymentStatus.CANCELED: 3,
}

# A refund is pending first and then ends; the providers report no way back from an end state.
REFUND_RANK = {RefundStatus.PENDING: 0, RefundStatus.SUCCEEDED: 1, RefundStatus.FAILED: 2, RefundStatus.CANCELED: 2}


def apply_payment_report(report, *, connection=None, actor):
    """Merge one payment report into its Payment and the order's payment state; return the outcome.

    Returns "created" for a new payment, "updated" when something changed and "skipped" for a
    report that adds nothing (a duplicate or an older state). Raises UnmatchedPaymentEvent when
    the report names no known order, or an order with another currency or total; nothing is
    written then. Raises PaymentNotYetKnown for a refund of a payment that is not known yet,
    which the inbox retries.
    """
    report.validate()
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(provider=report.provider, external_id=report.external_id).first()
        created = False
        if payment is None:
            payment, created = _create_payment(report, connection)

        if payment.order_id is None:
            # A payment created without an order outside this module.
            order = _match_order(report)
            payment.order = order
            payment.save(update_fields=["order", "updated_at"])

        if report.currency and payment.currency != report.currency:
            raise UnmatchedPaymentEvent(
                report,
                Translatable(
                    gettext_lazy("the event is in %(event)s but the payment is in %(payment)s"), event=report.currency, payment=payment.currency
                ),
            )

        changed = _merge_facts(payment, report)
        order_changed = update_order_payment_state(payment.order_id, connection=connection, actor=actor)

    if created:
        outcome = "created"
    elif changed or order_changed:
        outcome = "updated"
    else:
        outcome = "skipped"
    logger.info(
        "payment report applied",
        extra={"payment_id": payment.pk, "order_id": payment.order_id, "provider": report.provider, "status": payment.status, "outcome": outcome},
    )
    return outcome


def _create_payment(report, connection):
    if report.amount is None or not (report.order.order_id or report.order.order_number):
        # A refund, or a charge without the order metadata: the payment's own event names the order.
        raise PaymentNotYetKnown(report, Translatable(gettext_lazy("the payment is not known yet")))
    order = _match_order(report)
    try:
        # A savepoint, so losing the race to another worker leaves this transaction usable.
        with transaction.atomic():
            payment = Payment.objects.create(
                order=order,
                connection=connection,
                provider=report.provider,
                external_id=report.external_id,
                method=report.method,
                currency=report.currency,
                amount=report.amount,
            )
        return payment, True
    except IntegrityError:
        logger.info("payment created concurrently", extra={"provider": report.provider, "external_id": report.external_id})
    return Payment.objects.select_for_update().get(provider=report.provider, external_id=report.external_id), False


def _match_order(report):
    """Find the order a report names and check its currency and total; raise UnmatchedPaymentEvent."""
    reference = report.order
    if reference.order_id:
        order = Order.objects.filter(pk=reference.order_id).first()
    elif reference.order_number:
        candidates = Order.objects.filter(external_number=reference.order_number)
        if reference.channel_code:
            candidates = candidates.filter(channel__code=reference.channel_code)
        candidates = list(candidates[:2])
        if len(candidates) > 1:
            raise UnmatchedPaymentEvent(report, Translatable(gettext_lazy("more than one channel has an order with this number")))
        order = candidates[0] if candidates else None
    else:
        raise UnmatchedPaymentEvent(report, Translatable(gettext_lazy("the event carries no order reference")))

    if order is None:
        raise UnmatchedPaymentEvent(report, Translatable(gettext_lazy("Kontor has no such order (yet)")))
    if order.currency != report.currency:
        raise UnmatchedPaymentEvent(
            report,
            Translatable(gettext_lazy("the payment is in %(payment)s but the order is in %(order)s"), payment=report.currency, order=order.currency),
        )
    if report.amount is not None and report.amount != order.total_gross:
        raise UnmatchedPaymentEvent(
            report,
            Translatable(
                gettext_lazy("the payment amount %(payment)s differs from the order total %(order)s"),
                payment=format_amount(report.amount, report.currency),
                order=format_amount(order.total_gross, order.currency),
            ),
        )
    return order


def _merge_facts(payment, report):
    """Add the report's facts to the locked payment; return whether anything changed."""
    before = (payment.amount, payment.captured_amount, payment.refunded_amount, payment.status, payment.method)

    if report.amount is not None and payment.amount == ZERO:
        # A payment linked by hand before its first report has no amount yet.
        payment.amount = report.amount
    if report.method and not payment.method:
        payment.method = report.method
    captured = report.captured_amount
    if captured is None and report.status == PaymentStatus.CAPTURED:
        captured = report.amount or payment.amount
    if captured is not None:
        payment.captured_amount = max(payment.captured_amount, captured)

    refunds_changed = _merge_refunds(payment, report)
    succeeded = sum(
        (refund.amount for refund in payment.refunds.filter(status=RefundStatus.SUCCEEDED)), ZERO
    )
    payment.refunded_amount = max(payment.refunded_amount, report.refunded_amount or ZERO, succeeded)
    if payment.refunded_amount > payment.amount:
        raise InvalidPaymentReport(
            report,
            Translatable(
                gettext_lazy("refunds of %(refunded)s exceed the payment amount %(amount)s"),
                refunded=format_amount(payment.refunded_amount, payment.currency),
                amount=format_amount(payment.amount, payment.currency),
            ),
        )

    payment.status = derive_payment_status(payment, report.status, report.dispute)
    after = (payment.amount, payment.captured_amount, payment.refunded_amount, payment.status, payment.method)
    if after == before:
        return refunds_changed

    if after[3] != before[3]:
        payment.status_changed_at = report.occurred_at or timezone.now()
    payment.save(update_fields=["amount", "captured_amount", "refunded_amount", "status", "method", "status_changed_at", "updated_at"])
    return True


def _merge_refunds(payment, report):
    changed = False
    for item in report.refunds:
        refund = Refund.objects.filter(payment=payment, external_id=item.external_id).first()
        if refund is None:
            Refund.objects.create(
                payment=payment, external_id=item.external_id, currency=payment.currency, amount=item.amount, status=item.status, reason=item.reason
            )
            changed = True
        elif REFUND_RANK[item.status] > REFUND_RANK[refund.status]:
            refund.status = item.status
            refund.save(update_fields=["status", "updated_at"])
            changed = True
    return changed


def derive_payment_status(payment, reported_status, dispute):
    """Return the payment's status from its facts: disputes first, then money, then the pre-capture state.

    A dispute that is open or lost marks the payment disputed until a report shows it was won.
    """
    if dispute in (Dispute.OPEN, Dispute.LOST):
        return PaymentStatus.DISPUTED
    if payment.status == PaymentStatus.DISPUTED and dispute != Dispute.WON:
        return PaymentStatus.DISPUTED

    if payment.refunded_amount > ZERO:
        base = payment.captured_amount or payment.amount
        return PaymentStatus.REFUNDED if payment.refunded_amount >= base else PaymentStatus.PARTIALLY_REFUNDED
    if payment.captured_amount > ZERO:
        return PaymentStatus.CAPTURED

    candidates = [status for status in (payment.status, reported_status) if status in PRE_CAPTURE_RANK]
    return max(candidates, key=PRE_CAPTURE_RANK.get, default=PaymentStatus.PENDING)


def derive_order_payment_state(order, payments):
    """Return the order's PaymentState from its payments' captured and refunded totals."""
    captured = sum((payment.captured_amount for payment in payments), ZERO)
    refunded = sum((payment.refunded_amount for payment in payments), ZERO)

    if refunded > ZERO:
        return PaymentState.REFUNDED if refunded >= captured else PaymentState.PARTIALLY_REFUNDED
    if captured > ZERO and captured >= order.total_gross:
        return PaymentState.PAID
    if any(payment.status == PaymentStatus.AUTHORIZED for payment in payments):
        return PaymentState.AUTHORIZED
    # NOTE: a capture below the order total (a split payment still in progress) stays unpaid.
    if payments and captured == ZERO and all(payment.status in (PaymentStatus.FAILED, PaymentStatus.CANCELED) for payment in payments):
        return PaymentState.FAILED
    return PaymentState.UNPAID


def update_order_payment_state(order_id, *, connection=None, actor):
    """Recompute an order's payment state under its row lock; push a change once; return whether it changed.

    The push goes to every connection subscribed to payments (usually the ERP), except the
    provider connection the change came from, in the same transaction as the change.
    """
    if order_id is None:
        return False
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        payments = list(order.payments.order_by("pk"))
        state = derive_order_payment_state(order, payments)
        disputed = [payment for payment in payments if payment.status == PaymentStatus.DISPUTED]
        summary = payment_summary(order, payments, state)

        fields = []
        if state != order.payment_state:
            order.payment_state = state
            fields.append("payment_state")
        if disputed and not order.needs_attention:
            note = Translatable(
                gettext_lazy("Payment %(payment)s is disputed by the buyer. Answer the dispute at %(provider)s."),
                payment=disputed[0].external_id, provider=payment_provider_label(disputed[0].provider),
            )
            fields += set_attention_note(order, note)
        if not fields:
            return False

        order.save(update_fields=[*fields, "updated_at"])
        enqueue_outbound(order, Domain.PAYMENTS, summary, origin=connection)
    logger.info("order payment state changed", extra={"order_id": order.pk, "payment_state": state, "actor": actor})
    return True


def payment_summary(order, payments, state):
    """Return the payment status message for subscribed connections: the order's state and each payment."""

    def money(amount):
        return str(quantize(amount, order.currency))

    return {
        "order_id": order.pk,
        "order_number": order.external_number,
        "payment_state": state,
        "currency": order.currency,
        "paid": money(sum((payment.captured_amount for payment in payments), ZERO)),
        "refunded": money(sum((payment.refunded_amount for payment in payments), ZERO)),
        "payments": [
            {
                "provider": payment.provider,
                "external_id": payment.external_id,
                "method": payment.method,
                "status": payment.status,
                "amount": money(payment.amount),
                "captured": money(payment.captured_amount),
                "refunded": money(payment.refunded_amount),
            }
            for payment in payments
        ],
    }


@transaction.atomic
def link_payment_to_order(provider, external_id, order, *, currency, connection=None, actor):
    """Link a provider payment to an order by hand, for an event that could not be matched.

    Creates the payment with amount 0 when no report created it yet; reprocessing its events
    then fills in the amounts. Raises ValueError when the payment exists in another currency.
    """
    payment = Payment.objects.select_for_update().filter(provider=provider, external_id=external_id).first()
    if payment is None:
        payment = Payment.objects.create(
            order=order, connection=connection, provider=provider, external_id=external_id, currency=currency, amount=ZERO
        )
    elif payment.currency != order.currency:
        raise ValueError(f"payment {external_id} is in {payment.currency}, order {order.pk} in {order.currency}")
    else:
        previous = payment.order_id
        payment.order = order
        payment.save(update_fields=["order", "updated_at"])
        update_order_payment_state(previous, connection=connection, actor=actor)
    update_order_payment_state(order.pk, connection=connection, actor=actor)
    logger.info("payment linked to order", extra={"payment_id": payment.pk, "order_id": order.pk, "actor": actor})
    return payment
