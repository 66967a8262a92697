from django.utils import translation

from orders.payments import OrderReference, PaymentReport, UnmatchedPaymentEvent


def test_unmatched_message_in_german():
    report = PaymentReport(provider="stripe", external_id="pi_1", currency="EUR", order=OrderReference(order_number="1001"))
    error = UnmatchedPaymentEvent(report, "reason")

    with translation.override("de"):
        message = error.support_message

    assert message.startswith("stripe-Zahlung pi_1 (Bestellreferenz 1001) wurde nicht übernommen: reason.")
    assert message.endswith("erneut.")
