"""The attention note of a disputed payment names the provider by its brand, in every language."""

from decimal import Decimal

import pytest
import responses
from django.utils import translation

from orders.models import Payment, PaymentStatus
from orders.services_payments import update_order_payment_state
from tests.payments.stripe_support import make_stripe, post_event, stripe_event
from tests.payments.support import make_order, process_pending

pytestmark = pytest.mark.django_db


@responses.activate
def test_stripe_dispute_note_names_stripe(client, queued):
    order = make_order()
    stripe = make_stripe()
    dispute = stripe_event("charge.dispute.created")["data"]["object"]
    responses.get(f"https://api.stripe.test/v1/disputes/{dispute['id']}", json=dict(dispute, status="needs_response"))

    post_event(client, stripe, stripe_event("payment_intent.succeeded"))
    post_event(client, stripe, stripe_event("charge.dispute.created"))
    process_pending()

    order.refresh_from_db()
    assert order.needs_attention is True
    assert order.attention_note == (
        "Payment pi_1PgafyB7WZ01zgkWSjxsAJo3 is disputed by the buyer. Answer the dispute at Stripe."
    )
    assert order.attention_note_translations["en"] == order.attention_note
    assert order.attention_note_translations["de"] == (
        "Zahlung pi_1PgafyB7WZ01zgkWSjxsAJo3 wird vom Käufer angefochten. Beantworten Sie die Anfechtung bei Stripe."
    )
    with translation.override("de"):
        assert order.localized_attention_note() == order.attention_note_translations["de"]


@pytest.mark.parametrize(("provider", "name"), [("paypal", "PayPal"), ("mollie", "Mollie"), ("acme_pay", "acme_pay")])
def test_dispute_note_provider_name(provider, name):
    # A code without a label is shown as stored, so the note still names where to answer.
    order = make_order()
    Payment.objects.create(
        order=order, provider=provider, external_id="PAY-1", currency="EUR",
        amount=Decimal("20.00"), captured_amount=Decimal("20.00"), status=PaymentStatus.DISPUTED,
    )

    changed = update_order_payment_state(order.pk, actor="test")

    order.refresh_from_db()
    assert changed is True
    assert order.attention_note == f"Payment PAY-1 is disputed by the buyer. Answer the dispute at {name}."
    assert order.attention_note_translations["de"] == (
        f"Zahlung PAY-1 wird vom Käufer angefochten. Beantworten Sie die Anfechtung bei {name}."
    )
