"""Sync errors and waiting events of payment webhooks name the provider by its brand."""

import pytest

from integrations.models import InboundEvent, InboundState, SyncError
from tests.payments.stripe_support import make_stripe, post_event, stripe_event
from tests.payments.support import make_order, process_pending

pytestmark = pytest.mark.django_db

PAYMENT_ID = "pi_1PgafyB7WZ01zgkWSjxsAJo3"


def test_unmatched_payment_sync_error(client, queued):
    post_event(client, make_stripe(), stripe_event("payment_intent.succeeded", metadata={"order_number": "WRONG-1"}))
    process_pending()

    sync_error = SyncError.objects.get()
    german = sync_error.message_translations["de"]
    assert sync_error.code == "unmatched_payment"
    assert sync_error.message.startswith(f"Stripe payment {PAYMENT_ID} (order reference WRONG-1) was not applied: ")
    assert sync_error.message_translations["en"] == sync_error.message
    assert german.startswith(f"Stripe-Zahlung {PAYMENT_ID} (Bestellreferenz WRONG-1) wurde nicht übernommen: ")
    assert german.endswith("der richtigen Bestellung zu und verarbeiten Sie sie erneut.")


def test_refund_before_payment_waiting(client, queued):
    make_order()

    post_event(client, make_stripe(), stripe_event("refund.created"))
    process_pending(max_rounds=1)

    waiting = InboundEvent.objects.get()
    assert waiting.state == InboundState.PENDING
    assert waiting.error == (
        f"Stripe reported a change to payment {PAYMENT_ID} before the payment itself. "
        "Kontor retries automatically; if this stays, check the payment at the provider."
    )
