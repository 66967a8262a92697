import json
import logging
import time
from decimal import Decimal

import pytest
import responses

from integrations.models import InboundEvent, InboundState, OutboundMessage, SyncError
from orders.models import Payment, PaymentState, PaymentStatus, Refund
from tests.payments.stripe_support import API_KEY, SECRET, make_stripe, post_event, stripe_event
from tests.payments.support import make_erp, make_order, process_pending

pytestmark = pytest.mark.django_db


def test_succeeded_event_marks_order_paid_and_tells_erp(client, queued, django_capture_on_commit_callbacks):
    order = make_order("1001", total="20.00")
    stripe = make_stripe()
    erp = make_erp()

    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(client, stripe, stripe_event("payment_intent.succeeded"))
    process_pending()

    assert response.status_code == 200
    assert response.json() == {"received": 1, "stored": 1}
    payment = Payment.objects.get()
    assert payment.order == order
    assert payment.provider == "stripe"
    assert payment.external_id == "pi_1PgafyB7WZ01zgkWSjxsAJo3"
    assert payment.amount == Decimal("20.00")
    assert payment.captured_amount == Decimal("20.00")
    assert payment.status == PaymentStatus.CAPTURED
    order.refresh_from_db()
    assert order.payment_state == PaymentState.PAID
    message = OutboundMessage.objects.get()
    assert message.connection == erp
    assert message.entity == "payments"
    assert message.lane == "hot"
    assert message.payload["payment_state"] == "paid"
    assert message.payload["paid"] == "20.00"
    assert queued[0] == ("integrations.tasks.process_inbound_event", (InboundEvent.objects.get().pk,), "hot")


def test_stored_event_keeps_no_card_data_or_client_secret(client, queued):
    make_order()
    stripe = make_stripe()
    event = stripe_event("payment_intent.succeeded", metadata={"order_number": "1001", "email": "buyer@example.com"})

    post_event(client, stripe, event)

    stored = json.dumps(InboundEvent.objects.get().payload)
    assert "client_secret" not in stored
    assert "_secret_" not in stored
    assert "buyer@example.com" not in stored
    assert InboundEvent.objects.get().payload["data"]["object"]["metadata"] == {"order_number": "1001"}


def test_replayed_event_stored_once(client, queued):
    make_order()
    stripe = make_stripe()
    event = stripe_event("payment_intent.succeeded")

    first = post_event(client, stripe, event)
    second = post_event(client, stripe, event)

    assert first.json() == {"received": 1, "stored": 1}
    assert second.status_code == 200
    assert second.json() == {"received": 1, "stored": 0}
    assert InboundEvent.objects.count() == 1


def test_invalid_signature_answered_401_and_not_stored(client, queued):
    stripe = make_stripe()

    response = post_event(client, stripe, stripe_event("payment_intent.succeeded"), secret="whsec_wrong")

    assert response.status_code == 401
    assert InboundEvent.objects.count() == 0


def test_missing_signature_answered_401(client, queued):
    stripe = make_stripe()

    response = client.post(f"/hooks/{stripe.slug}/", data=b"{}", content_type="application/json")

    assert response.status_code == 401
    assert InboundEvent.objects.count() == 0


def test_expired_timestamp_answered_401(client, queued):
    stripe = make_stripe()

    response = post_event(client, stripe, stripe_event("payment_intent.succeeded"), timestamp=int(time.time()) - 600)

    assert response.status_code == 401
    assert InboundEvent.objects.count() == 0


def test_signed_non_json_answered_400(client, queued):
    stripe = make_stripe()

    response = post_event(client, stripe, None, body=b"<xml>not json</xml>")

    assert response.status_code == 400
    assert response.json()["error"] == "malformed_body"
    assert InboundEvent.objects.count() == 0


def test_oversized_body_answered_413(client, queued, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 1000
    stripe = make_stripe()
    event = stripe_event("payment_intent.succeeded", description="x" * 2000)

    response = post_event(client, stripe, event)

    assert response.status_code == 413
    assert InboundEvent.objects.count() == 0


def test_unhandled_event_type_acknowledged(client, queued):
    stripe = make_stripe()
    event = stripe_event("payment_intent.succeeded")
    event["type"] = "customer.created"

    response = post_event(client, stripe, event)

    assert response.status_code == 200
    assert response.json() == {"received": 0, "stored": 0}


def test_rolled_secret_accepts_old_and_new(client, queued):
    stripe = make_stripe(secrets=f"whsec_new_0123456789\n{SECRET}")

    old = post_event(client, stripe, stripe_event("payment_intent.succeeded"), secret=SECRET)
    new = post_event(client, stripe, stripe_event("payment_intent.canceled"), secret="whsec_new_0123456789")

    assert old.status_code == 200
    assert new.status_code == 200
    assert InboundEvent.objects.count() == 2


def test_unknown_order_stored_as_unmatched(client, queued):
    stripe = make_stripe()
    make_erp()

    response = post_event(client, stripe, stripe_event("payment_intent.succeeded", metadata={"order_number": "9999"}))
    process_pending()

    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert event.state == InboundState.FAILED
    error = SyncError.objects.get()
    assert error.code == "unmatched_payment"
    assert "pi_1PgafyB7WZ01zgkWSjxsAJo3" in error.message
    assert "9999" in error.message
    assert Payment.objects.count() == 0
    assert OutboundMessage.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"amount": 1999, "amount_received": 1999}, "differs from the order total 20.00"),
        ({"currency": "usd"}, "is in USD but the order is in EUR"),
    ],
)
def test_mismatched_payment_stored_as_unmatched(client, queued, changes, reason):
    order = make_order()
    stripe = make_stripe()

    post_event(client, stripe, stripe_event("payment_intent.succeeded", **changes))
    process_pending()

    error = SyncError.objects.get()
    assert error.code == "unmatched_payment"
    assert reason in error.message
    order.refresh_from_db()
    assert order.payment_state == PaymentState.UNPAID
    assert Payment.objects.count() == 0


def test_secrets_never_logged(client, queued, caplog):
    make_order()
    stripe = make_stripe()
    caplog.set_level(logging.DEBUG)

    post_event(client, stripe, stripe_event("payment_intent.succeeded"), secret="whsec_wrong")
    post_event(client, stripe, stripe_event("payment_intent.succeeded"))
    process_pending()

    logged = " ".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)
    assert "payment report applied" in logged
    assert SECRET not in logged
    assert "whsec_wrong" not in logged
    assert API_KEY not in logged
    assert "_secret_" not in logged


@responses.activate
def test_dispute_state_read_from_api(client, queued):
    order = make_order()
    stripe = make_stripe()
    dispute = stripe_event("charge.dispute.created")["data"]["object"]
    responses.get(f"https://api.stripe.test/v1/disputes/{dispute['id']}", json=dict(dispute, status="needs_response"))

    post_event(client, stripe, stripe_event("payment_intent.succeeded"))
    post_event(client, stripe, stripe_event("charge.dispute.created"))
    process_pending()

    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.DISPUTED
    order.refresh_from_db()
    assert order.needs_attention is True
    assert "disputed" in order.attention_note
    assert responses.calls[0].request.headers["Authorization"] == f"Bearer {API_KEY}"


@responses.activate
def test_late_dispute_event_after_win_keeps_payment_captured(client, queued):
    make_order()
    stripe = make_stripe()
    dispute = stripe_event("charge.dispute.created")["data"]["object"]
    responses.get(f"https://api.stripe.test/v1/disputes/{dispute['id']}", json=dict(dispute, status="won"))

    post_event(client, stripe, stripe_event("payment_intent.succeeded"))
    post_event(client, stripe, stripe_event("charge.dispute.created"))
    process_pending()

    assert Payment.objects.get().status == PaymentStatus.CAPTURED


@pytest.mark.parametrize(
    ("currency", "minor", "expected"),
    [("JPY", 2000, Decimal("2000")), ("EUR", 2000, Decimal("20.00")), ("KWD", 2000, Decimal("2.000")), ("KWD", 1, Decimal("0.001"))],
)
def test_minor_units_converted_exactly(client, queued, currency, minor, expected):
    order = make_order(currency=currency, total=str(expected))
    stripe = make_stripe()

    post_event(client, stripe, stripe_event("payment_intent.succeeded", amount=minor, amount_received=minor, currency=currency.lower()))
    process_pending()

    payment = Payment.objects.get()
    assert payment.amount == expected
    assert str(payment.captured_amount.normalize()) == str(expected.normalize())
    order.refresh_from_db()
    assert order.payment_state == PaymentState.PAID


def test_partial_refund_event_creates_refund_row(client, queued):
    order = make_order()
    stripe = make_stripe()

    post_event(client, stripe, stripe_event("payment_intent.succeeded"))
    post_event(client, stripe, stripe_event("refund.created"))
    process_pending()

    refund = Refund.objects.get()
    assert refund.external_id == "re_1Pgc72B7WZ01zgkWqPvrRrPE"
    assert refund.amount == Decimal("5.00")
    assert Payment.objects.get().status == PaymentStatus.PARTIALLY_REFUNDED
    order.refresh_from_db()
    assert order.payment_state == PaymentState.PARTIALLY_REFUNDED


def test_live_event_to_test_connection_dropped(client, queued):
    make_order()
    stripe = make_stripe()
    event = stripe_event("payment_intent.succeeded")
    event["livemode"] = True

    response = post_event(client, stripe, event)

    assert response.status_code == 200
    assert response.json() == {"received": 0, "stored": 0}
    assert InboundEvent.objects.count() == 0
