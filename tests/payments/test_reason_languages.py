"""Sync errors of payment events that Kontor cannot apply read entirely in each stored language."""

from decimal import Decimal

import pytest
from django.utils import translation

from integrations.models import Direction, SyncError
from integrations.services.syncruns import record_sync_error
from orders.models import Payment
from orders.payments import (
    InvalidPaymentReport,
    OrderReference,
    PaymentReport,
    RefundReport,
    UnmatchedPaymentEvent,
)
from orders.services_payments import apply_payment_report
from tests.payments.stripe_support import make_stripe, post_event, stripe_event
from tests.payments.support import make_order, process_pending

pytestmark = pytest.mark.django_db

PAYMENT_ID = "pi_1PgafyB7WZ01zgkWSjxsAJo3"


def unmatched_messages(client):
    """Post a Stripe payment that Kontor cannot match; return its sync error's German and English message."""
    post_event(client, make_stripe(), stripe_event("payment_intent.succeeded"))
    process_pending()
    sync_error = SyncError.objects.get()
    assert sync_error.code == "unmatched_payment"
    return sync_error.message_translations["de"], sync_error.message_translations["en"]


def test_unknown_order_reason_in_german(client, queued):
    german, english = unmatched_messages(client)

    assert german == (
        f"Stripe-Zahlung {PAYMENT_ID} (Bestellreferenz shop-de/1001) wurde nicht übernommen: "
        "Kontor kennt diese Bestellung (noch) nicht. Ordnen Sie die Zahlung unter „Nicht zugeordnete "
        "Anbieterereignisse“ der richtigen Bestellung zu und verarbeiten Sie sie erneut."
    )
    assert "no such order" not in german
    assert "was not applied: Kontor has no such order (yet). " in english


def test_unknown_order_reason_in_admin(client, queued):
    # The admin shows the stored translation of the reader's language.
    unmatched_messages(client)
    sync_error = SyncError.objects.get()

    with translation.override("de"):
        shown = sync_error.localized_message()

    assert "wurde nicht übernommen: Kontor kennt diese Bestellung (noch) nicht. " in shown


def test_amount_mismatch_reason_in_german(client, queued):
    make_order("1001", total="25.00")

    german, english = unmatched_messages(client)

    assert "wurde nicht übernommen: der Zahlungsbetrag 20,00 weicht von der Bestellsumme 25,00 ab. " in german
    assert "differs" not in german
    assert "was not applied: the payment amount 20.00 differs from the order total 25.00. " in english


def test_currency_mismatch_reason_in_german(client, queued):
    make_order("1001", currency="CHF")

    german, english = unmatched_messages(client)

    assert "wurde nicht übernommen: die Zahlung ist in EUR, die Bestellung aber in CHF. " in german
    assert "the order is in" not in german
    assert "was not applied: the payment is in EUR but the order is in CHF. " in english


def payment_report(**changes):
    values = {
        "provider": "stripe",
        "external_id": "pi_1",
        "currency": "EUR",
        "amount": Decimal("20.00"),
        "order": OrderReference(order_number="1001"),
    }
    return PaymentReport(**{**values, **changes})


def rejected_report_messages(report, error_class=InvalidPaymentReport):
    """Apply a report that fails, store its error as the inbox would; return the German and English message."""
    with pytest.raises(error_class) as caught:
        apply_payment_report(report, actor="stripe:stripe")
    record_sync_error(make_stripe(), Direction.IN, caught.value, entity="payments", external_id=report.external_id)
    sync_error = SyncError.objects.get()
    assert sync_error.code == error_class.code
    return sync_error.message_translations["de"], sync_error.message_translations["en"]


def test_missing_order_reference_reason_in_german():
    # Only a payment stored without an order is matched on a later report that names no order.
    Payment.objects.create(provider="stripe", external_id="pi_1", currency="EUR", amount=Decimal("20.00"))

    german, english = rejected_report_messages(payment_report(order=OrderReference()), UnmatchedPaymentEvent)

    assert "wurde nicht übernommen: das Ereignis enthält keine Bestellreferenz. " in german
    assert "carries" not in german
    assert "was not applied: the event carries no order reference. " in english


def test_ambiguous_order_number_reason_in_german():
    make_order("1001", channel_code="shop-de")
    make_order("1001", channel_code="shop-at")

    german, english = rejected_report_messages(payment_report(), UnmatchedPaymentEvent)

    assert "wurde nicht übernommen: mehr als ein Vertriebskanal hat eine Bestellung mit dieser Nummer. " in german
    assert "more than one" not in german
    assert "was not applied: more than one channel has an order with this number. " in english


def test_event_currency_reason_in_german():
    make_order("1001")
    apply_payment_report(payment_report(), actor="stripe:stripe")

    german, english = rejected_report_messages(payment_report(currency="CHF", amount=None), UnmatchedPaymentEvent)

    assert "wurde nicht übernommen: das Ereignis ist in CHF, die Zahlung aber in EUR. " in german
    assert "the payment is in" not in german
    assert "was not applied: the event is in CHF but the payment is in EUR. " in english


INVALID_REPORTS = [
    (
        {"currency": "EURO"},
        "Währung EURO ist kein ISO-4217-Code",
        "currency EURO is not an ISO 4217 code",
    ),
    (
        {"amount": Decimal("-1.00")},
        "Betrag -1,00 ist negativ",
        "amount -1.00 is negative",
    ),
    (
        {"captured_amount": Decimal("0.001")},
        "eingezogener Betrag 0,001 ist feiner als die kleinste Einheit von EUR",
        "captured amount 0.001 is finer than the minor unit of EUR",
    ),
    (
        {"refunded_amount": Decimal("-2.00")},
        "erstatteter Betrag -2,00 ist negativ",
        "refunded amount -2.00 is negative",
    ),
    (
        {"refunds": [RefundReport(external_id="re_1", amount=Decimal("-5.00"))]},
        "Erstattung re_1 -5,00 ist negativ",
        "refund re_1 -5.00 is negative",
    ),
    (
        {"status": "exploded"},
        "Zahlungsstatus exploded ist unbekannt",
        "payment status exploded is unknown",
    ),
]


@pytest.mark.parametrize(("changes", "german_reason", "english_reason"), INVALID_REPORTS)
def test_invalid_report_reason_in_german(changes, german_reason, english_reason):
    german, english = rejected_report_messages(payment_report(**changes))

    assert german == (
        f"Stripe-Zahlung pi_1 wurde nicht übernommen, weil das Ereignis ungültig ist: {german_reason}. "
        "Prüfen Sie die Zahlung beim Anbieter."
    )
    assert english == (
        f"Stripe payment pi_1 was not applied because the event is invalid: {english_reason}. "
        "Check the payment at the provider."
    )


def test_refunds_above_amount_reason_in_german():
    make_order("1001")

    german, english = rejected_report_messages(payment_report(refunded_amount=Decimal("30.00")))

    assert "ungültig ist: Erstattungen von 30,00 übersteigen den Zahlungsbetrag 20,00. " in german
    assert "exceed" not in german
    assert "invalid: refunds of 30.00 exceed the payment amount 20.00. " in english
