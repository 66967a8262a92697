"""PayPal webhook events (Payments v2 captures and refunds, disputes) to payment reports.

PayPal money is `{currency_code, value}` with `value` a decimal string whose decimals follow
the currency, so it is read as Decimal and checked against the minor unit.
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

PROVIDER = "paypal"

CAPTURE_STATUS = {
    "COMPLETED": PaymentStatus.CAPTURED,
    "PENDING": PaymentStatus.PENDING,
    "DECLINED": PaymentStatus.FAILED,
    "FAILED": PaymentStatus.FAILED,
    # A refunded capture was completed first; its refund events carry the refunded amounts.
    "REFUNDED": PaymentStatus.CAPTURED,
    "PARTIALLY_REFUNDED": PaymentStatus.CAPTURED,
}

EVENT_STATUS = {
    "PAYMENT.CAPTURE.DENIED": PaymentStatus.FAILED,
    "PAYMENT.CAPTURE.DECLINED": PaymentStatus.FAILED,
    "PAYMENT.CAPTURE.PENDING": PaymentStatus.PENDING,
}

REFUND_STATUS = {
    "COMPLETED": RefundStatus.SUCCEEDED,
    "PENDING": RefundStatus.PENDING,
    "FAILED": RefundStatus.FAILED,
    "CANCELLED": RefundStatus.CANCELED,
}

# Dispute outcomes that leave the money with the merchant.
DISPUTE_WON = {"RESOLVED_SELLER_FAVOUR", "CANCELED_BY_BUYER"}


def money(value, currency=None):
    if value is None:
        return None
    if currency and value.get("currency_code") != currency:
        raise ValueError(f"amount in {value.get('currency_code')} on a {currency} payment")
    try:
        return Decimal(str(value["value"]))
    except InvalidOperation:
        raise ValueError("amount value is not a decimal number") from None


def report_from_event(event, capture_id):
    """Map a stored PayPal event about capture `capture_id` to a PaymentReport."""
    resource = event["resource"]
    event_type = event["event_type"]
    amount = resource.get("amount") or resource.get("dispute_amount") or {}
    report = PaymentReport(
        provider=PROVIDER,
        external_id=capture_id,
        currency=str(amount.get("currency_code", "")),
        # Shops put their order number into custom_id, or into invoice_id when custom_id is taken.
        order=OrderReference(order_number=str(resource.get("custom_id") or resource.get("invoice_id") or "").strip()),
        method="paypal",
        occurred_at=parse_datetime(event.get("create_time") or ""),
    )
    try:
        if event_type.startswith("CUSTOMER.DISPUTE."):
            outcome = (resource.get("dispute_outcome") or {}).get("outcome_code")
            if resource.get("status") == "RESOLVED":
                report.dispute = Dispute.WON if outcome in DISPUTE_WON else Dispute.LOST
            else:
                report.dispute = Dispute.OPEN
        elif event_type == "PAYMENT.CAPTURE.REVERSED":
            # A reversal is PayPal taking the money back, as after a chargeback.
            report.dispute = Dispute.LOST
        elif event.get("resource_type") == "refund" or event_type == "PAYMENT.CAPTURE.REFUNDED":
            _read_refund(report, resource)
        else:
            report.amount = money(amount)
            report.status = EVENT_STATUS.get(event_type) or CAPTURE_STATUS.get(resource.get("status"), PaymentStatus.PENDING)
            if report.status == PaymentStatus.CAPTURED:
                report.captured_amount = report.amount
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidPaymentReport(report, unreadable_reason(f"{event_type} {event.get('id', '-')}", error)) from None
    return report


def _read_refund(report, resource):
    breakdown = resource.get("seller_payable_breakdown") or {}
    report.refunded_amount = money(breakdown.get("total_refunded_amount"), report.currency)
    report.refunds = [
        RefundReport(
            external_id=resource["id"],
            amount=money(resource["amount"], report.currency),
            status=REFUND_STATUS.get(resource.get("status"), RefundStatus.PENDING),
            reason=str(resource.get("note_to_payer") or "")[:255],
        )
    ]
