"""The payment simulations end to end: sandbox sends, Kontor verifies, stores and applies."""

import pytest
import responses

from integrations.models import InboundEvent
from integrations.sandbox.faults import update_faults
from integrations.sandbox.testing import route_to_django
from orders.models import Payment, PaymentState
from tests.payments.support import make_connection, make_order, process_pending

pytestmark = pytest.mark.django_db

HOST = "http://testserver"


@pytest.fixture
def sandbox():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield route_to_django(rsps)


def test_stripe_event_paid_and_duplicate_dropped(sandbox, queued):
    order = make_order("1001")
    make_connection("stripe", "stripe", {"api_key": "sk_test_x", "webhook_secrets": "whsec_sandbox"}, base_url=f"{HOST}/sandbox/payments/stripe")
    update_faults("payments", {"duplicate_webhooks_percent": 100})

    response = sandbox.post(
        "/sandbox/payments/stripe/_events",
        {"type": "payment_intent.succeeded", "url": f"{HOST}/hooks/stripe/", "secret": "whsec_sandbox", "order_number": "1001", "amount": 2000, "currency": "EUR"},
        content_type="application/json",
    )
    process_pending()

    assert response.json()["deliveries"] == ["sent", "sent"]
    assert InboundEvent.objects.count() == 1
    order.refresh_from_db()
    assert order.payment_state == PaymentState.PAID


def test_stripe_event_with_wrong_secret_rejected(sandbox, queued):
    make_connection("stripe", "stripe", {"api_key": "sk_test_x", "webhook_secrets": "whsec_sandbox"})

    sandbox.post(
        "/sandbox/payments/stripe/_events",
        {"type": "payment_intent.succeeded", "url": f"{HOST}/hooks/stripe/", "secret": "whsec_other", "order_number": "1", "amount": 1, "currency": "EUR"},
        content_type="application/json",
    )

    assert InboundEvent.objects.count() == 0


def test_mollie_payment_fetched_from_sandbox(sandbox, queued):
    order = make_order("2002", total="10.00")
    make_connection("mollie", "mollie", {"api_key": "test_sandbox"}, base_url=f"{HOST}/sandbox/payments/mollie")
    created = sandbox.post(
        "/sandbox/payments/mollie/v2/payments",
        {"amount": {"currency": "EUR", "value": "10.00"}, "metadata": {"order_number": "2002"}, "webhookUrl": f"{HOST}/hooks/mollie/", "method": "ideal"},
        content_type="application/json",
        headers={"Authorization": "Bearer test_sandbox"},
    ).json()

    sandbox.post(f"/sandbox/payments/mollie/_payments/{created['id']}/status", {"status": "paid"}, content_type="application/json")
    process_pending()

    payment = Payment.objects.get()
    assert payment.external_id == created["id"]
    order.refresh_from_db()
    assert order.payment_state == PaymentState.PAID


def test_mollie_refund_pings_and_partially_refunds(sandbox, queued):
    order = make_order("2003", total="10.00")
    make_connection("mollie", "mollie", {"api_key": "test_sandbox"}, base_url=f"{HOST}/sandbox/payments/mollie")
    auth = {"Authorization": "Bearer test_sandbox"}
    created = sandbox.post(
        "/sandbox/payments/mollie/v2/payments",
        {"amount": {"currency": "EUR", "value": "10.00"}, "metadata": {"order_number": "2003"}, "webhookUrl": f"{HOST}/hooks/mollie/"},
        content_type="application/json", headers=auth,
    ).json()
    sandbox.post(f"/sandbox/payments/mollie/_payments/{created['id']}/status", {"status": "paid"}, content_type="application/json")

    sandbox.post(f"/sandbox/payments/mollie/v2/payments/{created['id']}/refunds", {"amount": {"currency": "EUR", "value": "2.50"}}, content_type="application/json", headers=auth)
    process_pending()

    order.refresh_from_db()
    assert order.payment_state == PaymentState.PARTIALLY_REFUNDED
    assert str(Payment.objects.get().refunded_amount) == "2.5000"


def test_paypal_postback_verifies_sandbox_delivery(sandbox, queued):
    order = make_order("3003")
    make_connection(
        "paypal", "paypal", {"client_id": "sandbox", "client_secret": "sandbox-secret", "webhook_id": "WH-SANDBOX"},
        base_url=f"{HOST}/sandbox/payments/paypal",
    )

    response = sandbox.post(
        "/sandbox/payments/paypal/_events",
        {"type": "PAYMENT.CAPTURE.COMPLETED", "url": f"{HOST}/hooks/paypal/", "webhook_id": "WH-SANDBOX", "order_number": "3003", "amount": "20.00", "currency": "EUR"},
        content_type="application/json",
    )
    process_pending()

    assert response.json()["deliveries"] == ["sent"]
    order.refresh_from_db()
    assert order.payment_state == PaymentState.PAID


def test_paypal_delivery_for_other_webhook_rejected(sandbox, queued):
    make_connection("paypal", "paypal", {"client_id": "sandbox", "client_secret": "s", "webhook_id": "WH-MINE"}, base_url=f"{HOST}/sandbox/payments/paypal")

    sandbox.post(
        "/sandbox/payments/paypal/_events",
        {"type": "PAYMENT.CAPTURE.COMPLETED", "url": f"{HOST}/hooks/paypal/", "webhook_id": "WH-OTHER", "order_number": "1", "amount": "1.00", "currency": "EUR"},
        content_type="application/json",
    )

    assert InboundEvent.objects.count() == 0
