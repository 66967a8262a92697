import json
from decimal import Decimal

import pytest
import responses

from integrations.models import InboundEvent
from orders.models import Payment, PaymentState, PaymentStatus
from tests.payments.support import fixture, make_connection, make_erp, make_order, process_pending

pytestmark = pytest.mark.django_db

API = "https://api.paypal.test"
CLIENT_SECRET = "paypal-client-secret-0123456789"
WEBHOOK_ID = "1JE4291016473214C"
TRANSMISSION = fixture("paypal", "verify_webhook_signature_request")


def make_paypal():
    return make_connection(
        "paypal", "paypal", {"client_id": "kontor-client", "client_secret": CLIENT_SECRET, "webhook_id": WEBHOOK_ID}, base_url=API
    )


def mock_paypal(status="SUCCESS", verify_status=200):
    responses.post(f"{API}/v1/oauth2/token", json={"access_token": "A21AAtoken", "token_type": "Bearer", "expires_in": 32400})
    return responses.post(
        f"{API}/v1/notifications/verify-webhook-signature", json={"verification_status": status}, status=verify_status
    )


def post_event(client, connection, event=None, *, body=None, headers=None):
    body = body if body is not None else json.dumps(event).encode()
    headers = headers if headers is not None else {
        "PAYPAL-AUTH-ALGO": TRANSMISSION["auth_algo"],
        "PAYPAL-CERT-URL": "https://api.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-1d93a270",
        "PAYPAL-TRANSMISSION-ID": TRANSMISSION["transmission_id"],
        "PAYPAL-TRANSMISSION-SIG": TRANSMISSION["transmission_sig"],
        "PAYPAL-TRANSMISSION-TIME": TRANSMISSION["transmission_time"],
    }
    return client.post(f"/hooks/{connection.slug}/", data=body, content_type="application/json", headers=headers)


@responses.activate
def test_verified_capture_marks_order_paid(client, queued):
    order = make_order("1001", total="20.00")
    paypal = make_paypal()
    make_erp()
    event = fixture("paypal", "PAYMENT.CAPTURE.COMPLETED")
    verify = mock_paypal("SUCCESS")

    response = post_event(client, paypal, event)
    process_pending()

    assert response.status_code == 200
    sent = json.loads(verify.calls[0].request.body)
    assert sent["webhook_id"] == WEBHOOK_ID
    assert sent["transmission_id"] == TRANSMISSION["transmission_id"]
    assert sent["auth_algo"] == "SHA256withRSA"
    assert sent["webhook_event"] == event
    assert verify.calls[0].request.headers["Authorization"] == "Bearer A21AAtoken"
    payment = Payment.objects.get()
    assert payment.external_id == "2GG279541U471931P"
    assert payment.captured_amount == Decimal("20.00")
    order.refresh_from_db()
    assert order.payment_state == PaymentState.PAID


@responses.activate
def test_failed_verification_answered_401(client, queued):
    paypal = make_paypal()
    mock_paypal("FAILURE")

    response = post_event(client, paypal, fixture("paypal", "PAYMENT.CAPTURE.COMPLETED"))

    assert response.status_code == 401
    assert InboundEvent.objects.count() == 0


@responses.activate
def test_missing_transmission_header_answered_401_without_postback(client, queued):
    paypal = make_paypal()
    verify = mock_paypal("SUCCESS")

    response = post_event(client, paypal, fixture("paypal", "PAYMENT.CAPTURE.COMPLETED"), headers={})

    assert response.status_code == 401
    assert len(verify.calls) == 0
    assert InboundEvent.objects.count() == 0


@responses.activate
def test_non_json_answered_400(client, queued):
    paypal = make_paypal()
    mock_paypal("SUCCESS")

    response = post_event(client, paypal, body=b"not json")

    assert response.status_code == 400
    assert InboundEvent.objects.count() == 0


@responses.activate
def test_postback_outage_answered_503_for_redelivery(client, queued):
    paypal = make_paypal()
    mock_paypal(verify_status=503)

    response = post_event(client, paypal, fixture("paypal", "PAYMENT.CAPTURE.COMPLETED"))

    assert response.status_code == 503
    assert response.json()["error"] == "verification_failed"
    assert CLIENT_SECRET.encode() not in response.content
    assert InboundEvent.objects.count() == 0


@responses.activate
def test_token_fetched_once_for_many_deliveries(client, queued):
    paypal = make_paypal()
    mock_paypal("SUCCESS")
    event = fixture("paypal", "PAYMENT.CAPTURE.COMPLETED")

    for number in range(3):
        post_event(client, paypal, dict(event, id=f"WH-{number}"))

    token_calls = [call for call in responses.calls if call.request.url.endswith("/v1/oauth2/token")]
    assert len(token_calls) == 1
    assert token_calls[0].request.headers["Authorization"].startswith("Basic ")


@responses.activate
@pytest.mark.parametrize("names", [("COMPLETED", "REFUNDED"), ("REFUNDED", "COMPLETED")])
def test_refund_in_either_order_partially_refunds(client, queued, names):
    order = make_order("1001", total="20.00")
    paypal = make_paypal()
    mock_paypal("SUCCESS")

    for name in names:
        post_event(client, paypal, fixture("paypal", f"PAYMENT.CAPTURE.{name}"))
    process_pending()

    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED
    assert payment.refunded_amount == Decimal("5.00")
    order.refresh_from_db()
    assert order.payment_state == PaymentState.PARTIALLY_REFUNDED


@responses.activate
def test_dispute_without_amount_marks_disputed(client, queued):
    make_order("1001", total="20.00")
    paypal = make_paypal()
    mock_paypal("SUCCESS")
    dispute = {
        "id": "WH-DISPUTE-1",
        "event_type": "CUSTOMER.DISPUTE.CREATED",
        "resource_type": "dispute",
        "create_time": "2026-01-03T10:00:00Z",
        "resource": {"dispute_id": "PP-D-1", "status": "OPEN", "disputed_transactions": [{"seller_transaction_id": "2GG279541U471931P"}]},
    }

    post_event(client, paypal, fixture("paypal", "PAYMENT.CAPTURE.COMPLETED"))
    post_event(client, paypal, dispute)
    process_pending()

    assert Payment.objects.get().status == PaymentStatus.DISPUTED


