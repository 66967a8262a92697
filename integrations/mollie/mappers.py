"""Mollie payments (as fetched from GET /v2/payments/{id}) to provider-neutral payment reports.

Mollie amounts are `{currency, value}` with `value` a decimal string carrying exactly the
currency's decimals, so they are read as Decimal and checked against the minor unit.
"""

from decimal import Decimal, InvalidOperation

from django.utils.dateparse import parse_datetime

from orders.models import PaymentStatus, RefundStatus
from orders.payments import (
    Dispute,
    InvalidPaymentReport,
    OrderReference,
    PaymentReport,
    RefundReport,
    unreadable_reason,
)

PROVIDER = "mollie"

PAYMENT_STATUS = {
    "open": PaymentStatus.PENDING,
    "pending": PaymentStatus.PENDING,
    "authorized": PaymentStatus.AUTHORIZED,
    "paid": PaymentStatus.CAPTURED,
    "canceled": PaymentStatus.CANCELED,
    # An expired payment was never paid and cannot be paid any more.
    "expired": PaymentStatus.CANCELED,
    "failed": PaymentStatus.FAILED,
}

REFUND_STATUS = {
    "queued": RefundStatus.PENDING,
    "pending": RefundStatus.PENDING,
    "processing": RefundStatus.PENDING,
    "refunded": RefundStatus.SUCCEEDED,
    "failed": RefundStatus.FAILED,
    "canceled": RefundStatus.CANCELED,
}


def order_reference(metadata):
    metadata = metadata if isinstance(metadata, dict) else {}
    kontor_id = str(metadata.get("kontor_order_id", "")).strip()
    return OrderReference(
        order_id=int(kontor_id) if kontor_id.isdigit() else None,
        order_number=str(metadata.get("order_number") or metadata.get("order_id") or "").strip(),
        channel_code=str(metadata.get("channel", "")).strip(),
    )


def money(value, currency):
    """Read a Mollie amount object in `currency`; raise ValueError for another currency or a non-number."""
    if value is None:
        return None
    if value.get("currency") != currency:
        raise ValueError(f"amount in {value.get('currency')} on a {currency} payment")
    try:
        return Decimal(str(value["value"]))
    except InvalidOperation:
        raise ValueError("amount value is not a decimal number") from None


def report_from_payment(payment):
    """Map a fetched Mollie payment, with embedded refunds and chargebacks, to a PaymentReport."""
    currency = str((payment.get("amount") or {}).get("currency", ""))
    report = PaymentReport(
        provider=PROVIDER,
        external_id=str(payment.get("id", "")),
        currency=currency,
        order=order_reference(payment.get("metadata")),
        method=str(payment.get("method") or "")[:50],
        occurred_at=parse_datetime(payment.get("paidAt") or payment.get("createdAt") or ""),
    )
    try:
        report.amount = money(payment["amount"], currency)
        report.status = PAYMENT_STATUS[payment["status"]]
        if payment["status"] == "paid":
            report.captured_amount = money(payment.get("amountCaptured"), currency) or report.amount
        report.refunded_amount = money(payment.get("amountRefunded"), currency)

        embedded = payment.get("_embedded") or {}
        report.refunds = [
            RefundReport(
                external_id=refund["id"],
                amount=money(refund["amount"], currency),
                status=REFUND_STATUS.get(refund.get("status"), RefundStatus.PENDING),
                reason=str(refund.get("description") or "")[:255],
            )
            for refund in embedded.get("refunds", [])
        ]
        chargebacks = embedded.get("chargebacks", [])
        if chargebacks:
            # A chargeback has already taken the money back; it ends only when Mollie reverses it.
            open_chargebacks = [chargeback for chargeback in chargebacks if not chargeback.get("reversedAt")]
            report.dispute = Dispute.LOST if open_chargebacks else Dispute.WON
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidPaymentReport(report, unreadable_reason(report.external_id, error)) from None
    return report
