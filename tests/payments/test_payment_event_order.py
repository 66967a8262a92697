"""Every arrival order of the same Stripe events, duplicates included, ends in one final state."""

from decimal import Decimal
from itertools import permutations

import pytest

from integrations.models import InboundEvent, InboundState, OutboundMessage
from orders.models import Payment, PaymentState, PaymentStatus, Refund
from tests.payments.stripe_support import make_stripe, post_event, stripe_event
from tests.payments.support import make_erp, make_order, process_pending

pytestmark = pytest.mark.django_db

REFUND_STORY = ["payment_intent.payment_failed", "payment_intent.succeeded", "refund.created", "charge.refunded"]


def deliver(client, names, *, process_each=True):
    stripe = make_stripe()
    for name in names:
        post_event(client, stripe, stripe_event(name))
        if process_each:
            process_pending()
    process_pending()


@pytest.mark.parametrize("names", list(permutations(REFUND_STORY)), ids="/".join)
def test_refund_story_converges_in_any_order(client, queued, names):
    order = make_order()
    make_erp()

    deliver(client, names)

    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED
    assert payment.amount == Decimal("20.00")
    assert payment.captured_amount == Decimal("20.00")
    assert payment.refunded_amount == Decimal("5.00")
    assert list(Refund.objects.values_list("external_id", "amount", "status")) == [("re_1Pgc72B7WZ01zgkWqPvrRrPE", Decimal("5.0000"), "succeeded")]
    order.refresh_from_db()
    assert order.payment_state == PaymentState.PARTIALLY_REFUNDED
    assert set(InboundEvent.objects.values_list("state", flat=True)) == {InboundState.PROCESSED}
    last = OutboundMessage.objects.order_by("pk").last()
    assert last.payload["payment_state"] == "partially_refunded"
    assert last.payload["refunded"] == "5.00"


def test_duplicates_of_every_event_change_nothing(client, queued):
    order = make_order()
    make_erp()
    deliver(client, REFUND_STORY)
    messages_before = OutboundMessage.objects.count()

    stripe = make_stripe("stripe-again")
    for name in REFUND_STORY + REFUND_STORY:
        # Another connection, so the inbox does not drop them: the service must stay idempotent.
        post_event(client, stripe, stripe_event(name))
    process_pending()

    assert OutboundMessage.objects.count() == messages_before
    assert Refund.objects.count() == 1
    assert Payment.objects.get().refunded_amount == Decimal("5.00")
    order.refresh_from_db()
    assert order.payment_state == PaymentState.PARTIALLY_REFUNDED


@pytest.mark.parametrize(
    ("pair", "status", "state"),
    [
        (("payment_intent.payment_failed", "payment_intent.succeeded"), PaymentStatus.CAPTURED, PaymentState.PAID),
        (("payment_intent.payment_failed", "payment_intent.canceled"), PaymentStatus.CANCELED, PaymentState.FAILED),
        (("payment_intent.amount_capturable_updated", "payment_intent.succeeded"), PaymentStatus.CAPTURED, PaymentState.PAID),
        (("payment_intent.amount_capturable_updated", "payment_intent.canceled"), PaymentStatus.CANCELED, PaymentState.FAILED),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, tuple) else str(value),
)
@pytest.mark.parametrize("reverse", [False, True], ids=["in-order", "reversed"])
def test_reversed_pairs_converge(client, queued, pair, status, state, reverse):
    order = make_order()

    deliver(client, reversed(pair) if reverse else pair)

    assert Payment.objects.get().status == status
    order.refresh_from_db()
    assert order.payment_state == state


@pytest.mark.parametrize("names", list(permutations(["payment_intent.succeeded", "charge.refunded"])), ids="/".join)
def test_full_refund_in_any_order(client, queued, names):
    order = make_order()
    full = stripe_event("charge.refunded", amount_refunded=2000)
    stripe = make_stripe()

    for name in names:
        post_event(client, stripe, full if name == "charge.refunded" else stripe_event(name))
    process_pending()

    assert Payment.objects.get().status == PaymentStatus.REFUNDED
    order.refresh_from_db()
    assert order.payment_state == PaymentState.REFUNDED


def test_refund_before_payment_waits_for_payment(client, queued):
    order = make_order()
    stripe = make_stripe()

    post_event(client, stripe, stripe_event("refund.created"))
    process_pending(max_rounds=1)
    waiting = InboundEvent.objects.get()

    assert waiting.state == InboundState.PENDING
    assert waiting.next_attempt_at is not None
    assert "before the payment itself" in waiting.error

    post_event(client, stripe, stripe_event("payment_intent.succeeded"))
    process_pending()

    assert Payment.objects.get().refunded_amount == Decimal("5.00")
    order.refresh_from_db()
    assert order.payment_state == PaymentState.PARTIALLY_REFUNDED
