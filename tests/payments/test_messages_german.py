import pytest
from django.utils import translation

from orders.payments import (
    InvalidPaymentReport,
    OrderReference,
    PaymentNotYetKnown,
    PaymentReport,
    UnmatchedPaymentEvent,
)


def payment_report(provider="stripe"):
    return PaymentReport(provider=provider, external_id="pi_1", currency="EUR", order=OrderReference(order_number="1001"))


def support_message(error, language):
    with translation.override(language):
        return error.support_message


def test_unmatched_message_in_german():
    message = support_message(UnmatchedPaymentEvent(payment_report(), "reason"), "de")

    assert message.startswith("Stripe-Zahlung pi_1 (Bestellreferenz 1001) wurde nicht übernommen: reason.")
    assert message.endswith("erneut.")


def test_unmatched_message_in_english():
    message = support_message(UnmatchedPaymentEvent(payment_report(), "reason"), "en")

    assert message.startswith("Stripe payment pi_1 (order reference 1001) was not applied: reason.")


def test_invalid_report_message_in_german():
    message = support_message(InvalidPaymentReport(payment_report(), "reason"), "de")

    assert message == (
        "Stripe-Zahlung pi_1 wurde nicht übernommen, weil das Ereignis ungültig ist: reason. "
        "Prüfen Sie die Zahlung beim Anbieter."
    )


def test_not_yet_known_message_in_german():
    message = support_message(PaymentNotYetKnown(payment_report(), "the payment is not known yet"), "de")

    assert message == (
        "Stripe hat eine Änderung an Zahlung pi_1 vor der Zahlung selbst gemeldet. "
        "Kontor versucht es automatisch erneut; bleibt es dabei, prüfen Sie die Zahlung beim Anbieter."
    )


@pytest.mark.parametrize(("provider", "name"), [("paypal", "PayPal"), ("mollie", "Mollie"), ("acme_pay", "acme_pay")])
def test_message_provider_name(provider, name):
    # A code without a label is shown as stored, so the message still names the provider.
    error = UnmatchedPaymentEvent(payment_report(provider), "reason")

    assert support_message(error, "de").startswith(f"{name}-Zahlung pi_1 ")
    assert support_message(error, "en").startswith(f"{name} payment pi_1 ")


def test_exception_text_keeps_provider_code():
    # The exception's own text is for developers and keeps the stored code.
    error = UnmatchedPaymentEvent(payment_report(), "reason")

    assert str(error) == "stripe payment pi_1: unmatched_payment"
