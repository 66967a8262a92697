"""Stripe events to provider-neutral payment reports.

Stripe amounts are integers in the currency's minor unit (2000 = 20.00 EUR, 2000 = 2000 JPY,
2000 = 2.000 KWD) and are converted with the currency's exponent, never through a float.
"""

from datetime import UTC, datetime

from django.core.exceptions import ValidationError

from core.money import from_minor_units
from orders.models import PaymentStatus, RefundStatus
from orders.payments import (
    Dispute,
    InvalidPaymentReport,
    OrderReference,
    PaymentReport,
    RefundReport,
    unreadable_reason,
)

PROVIDER = "stripe"

# Payment intent statuses before money moves (https://docs.stripe.com/payments/paymentintents/lifecycle).
INTENT_STATUS = {
    "requires_payment_method": PaymentStatus.PENDING,
    "requires_confirmation": PaymentStatus.PENDING,
    "requires_action": PaymentStatus.PENDING,
    "processing": PaymentStatus.PENDING,
    "requires_capture": PaymentStatus.AUTHORIZED,
    "canceled": PaymentStatus.CANCELED,
    "succeeded": PaymentStatus.CAPTURED,
}

# Events whose type, not the object's status, determines the payment status.
EVENT_STATUS = {
    "payment_intent.payment_failed": PaymentStatus.FAILED,
    "payment_intent.canceled": PaymentStatus.CANCELED,
    "payment_intent.amount_capturable_updated": PaymentStatus.AUTHORIZED,
    "charge.failed": PaymentStatus.FAILED,
    "checkout.session.async_payment_failed": PaymentStatus.FAILED,
}

REFUND_STATUS = {
    "pending": RefundStatus.PENDING,
    "requires_action": RefundStatus.PENDING,
    "succeeded": RefundStatus.SUCCEEDED,
    "failed": RefundStatus.FAILED,
    "canceled": RefundStatus.CANCELED,
}

# Dispute statuses after which the money stays with the merchant.
DISPUTE_WON = {"won", "warning_closed"}


def order_reference(metadata):
    """Read the order from payment metadata: Kontor's id, or the channel's order number."""
    metadata = metadata or {}
    kontor_id = str(metadata.get("kontor_order_id", "")).strip()
    return OrderReference(
        order_id=int(kontor_id) if kontor_id.isdigit() else None,
        order_number=str(metadata.get("order_number") or metadata.get("order_id") or "").strip(),
        channel_code=str(metadata.get("channel", "")).strip(),
    )


def report_from_event(event, *, fetch_dispute=None):
    """Map a stored Stripe event to a PaymentReport.

    `fetch_dispute(id)` returns the current dispute object. Dispute events are mapped from it,
    not from the event, because a late "created" event must not reopen a dispute that is closed.
    """
    obj = event["data"]["object"]
    kind = obj.get("object")
    report = PaymentReport(
        provider=PROVIDER,
        external_id=_payment_id(obj),
        currency=str(obj.get("currency", "")).upper(),
        order=order_reference(obj.get("metadata")),
        occurred_at=datetime.fromtimestamp(event["created"], tz=UTC),
    )
    try:
        if kind == "payment_intent":
            _read_intent(report, obj, event["type"])
        elif kind == "charge":
            _read_charge(report, obj, event["type"])
        elif kind == "refund":
            report.refunds = [_refund(report.currency, obj)]
        elif kind == "dispute":
            current = fetch_dispute(obj["id"]) if fetch_dispute else obj
            report.dispute = Dispute.WON if current.get("status") in DISPUTE_WON else (
                Dispute.LOST if current.get("status") == "lost" else Dispute.OPEN
            )
        elif kind == "checkout.session":
            _read_session(report, obj, event["type"])
    except (ValidationError, KeyError, TypeError, ValueError) as error:
        raise InvalidPaymentReport(report, unreadable_reason(f"{kind} {obj.get('id', '-')}", error)) from None
    return report


def _payment_id(obj):
    if obj.get("object") == "payment_intent":
        return obj["id"]
    return obj.get("payment_intent") or obj.get("charge") or obj["id"]


def _amount(value, currency):
    return None if value is None else from_minor_units(value, currency)


def _read_intent(report, obj, event_type):
    report.amount = _amount(obj["amount"], report.currency)
    report.status = EVENT_STATUS.get(event_type) or INTENT_STATUS.get(obj.get("status"), PaymentStatus.PENDING)
    if obj.get("status") == "succeeded":
        report.captured_amount = _amount(obj.get("amount_received", obj["amount"]), report.currency)


def _read_charge(report, obj, event_type):
    report.amount = _amount(obj["amount"], report.currency)
    report.status = EVENT_STATUS.get(event_type)
    if obj.get("captured"):
        report.captured_amount = _amount(obj.get("amount_captured", obj["amount"]), report.currency)
        report.status = report.status or PaymentStatus.CAPTURED
    elif obj.get("status") == "succeeded":
        report.status = report.status or PaymentStatus.AUTHORIZED
    report.refunded_amount = _amount(obj.get("amount_refunded"), report.currency)
    # Only API versions before 2022-11-15 embed the refunds; newer ones send refund.* events.
    report.refunds = [_refund(report.currency, refund) for refund in obj.get("refunds", [])]


def _read_session(report, obj, event_type):
    report.amount = _amount(obj.get("amount_total"), report.currency)
    if event_type == "checkout.session.async_payment_failed":
        report.status = PaymentStatus.FAILED
    elif obj.get("payment_status") == "paid":
        report.status = PaymentStatus.CAPTURED
        report.captured_amount = report.amount
    else:
        report.status = PaymentStatus.PENDING


def _refund(currency, refund):
    refund_currency = str(refund.get("currency") or currency).upper()
    if refund_currency != currency and currency:
        raise ValueError(f"refund currency {refund_currency} differs from {currency}")
    return RefundReport(
        external_id=refund["id"],
        amount=from_minor_units(refund["amount"], refund_currency),
        status=REFUND_STATUS.get(refund.get("status"), RefundStatus.PENDING),
        reason=str(refund.get("reason") or "")[:255],
    )
