from decimal import Decimal

import pytest
import responses

from integrations.models import InboundEvent, InboundState, OutboundMessage, SyncError
from orders.models import Payment, PaymentState, PaymentStatus, Refund
from tests.payments.support import fixture, make_connection, make_erp, make_order, process_pending

pytestmark = pytest.mark.django_db

API = "https://api.mollie.test/v2/payments/tr_7UhSN1zuXS"
API_KEY = "test_kontor0123456789abcdef"


def make_mollie():
    return make_connection("mollie", "mollie", {"api_key": API_KEY}, base_url="https://api.mollie.test")


def mollie_payment(status="paid", **changes):
    payment = fixture("mollie", "payment_single")
    payment.update(status=status, metadata={"order_id": "12345"}, amountCaptured=payment["amount"])
    payment.update(changes)
    return payment


def ping(client, connection, body=b"id=tr_7UhSN1zuXS"):
    return client.post(f"/hooks/{connection.slug}/", data=body, content_type="application/x-www-form-urlencoded")


@responses.activate
def test_ping_fetches_payment_and_marks_order_paid(client, queued):
    order = make_order("12345", total="10.00")
    mollie = make_mollie()
    make_erp()
    responses.get(API, json=mollie_payment("paid"))

    response = ping(client, mollie)
    process_pending()

    assert response.status_code == 200
    payment = Payment.objects.get()
    assert payment.provider == "mollie"
    assert payment.method == "ideal"
    assert payment.captured_amount == Decimal("10.00")
    assert payment.status == PaymentStatus.CAPTURED
    order.refresh_from_db()
    assert order.payment_state == PaymentState.PAID
    assert OutboundMessage.objects.get().payload["payment_state"] == "paid"
    request = responses.calls[0].request
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert "embed=refunds%2Cchargebacks" in request.url


@responses.activate
def test_status_from_api_not_from_ping(client, queued):
    order = make_order("12345", total="10.00")
    mollie = make_mollie()
    responses.get(API, json=mollie_payment("open"))

    ping(client, mollie)
    process_pending()

    assert Payment.objects.get().status == PaymentStatus.PENDING
    order.refresh_from_db()
    assert order.payment_state == PaymentState.UNPAID


@responses.activate
def test_forged_ping_for_unknown_payment_ignored(client, queued):
    make_order("12345", total="10.00")
    mollie = make_mollie()
    responses.get("https://api.mollie.test/v2/payments/tr_forged", status=404, json={"status": 404, "title": "Not Found"})

    response = ping(client, mollie, b"id=tr_forged")
    process_pending()

    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert event.state == InboundState.IGNORED
    assert Payment.objects.count() == 0
    assert SyncError.objects.count() == 0


@pytest.mark.parametrize("body", [b"", b"id=", b"id=ord_123", b"id=tr_1&id=tr_2", b'{"id": "tr_1"}', b"\xff\xfe"])
def test_malformed_ping_answered_400(client, queued, body):
    mollie = make_mollie()

    response = ping(client, mollie, body)

    assert response.status_code == 400
    assert InboundEvent.objects.count() == 0


@responses.activate
def test_partial_refund_and_chargeback(client, queued):
    order = make_order("12345", total="10.00")
    mollie = make_mollie()
    refund = fixture("mollie", "refunds_list")["_embedded"]["refunds"][0]
    refund.update(status="refunded", amount={"currency": "EUR", "value": "5.95"})
    responses.get(API, json=mollie_payment("paid", amountRefunded={"currency": "EUR", "value": "5.95"}, _embedded={"refunds": [refund]}))

    ping(client, mollie)
    process_pending()

    payment = Payment.objects.get()
    assert payment.refunded_amount == Decimal("5.95")
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED
    assert Refund.objects.get().external_id == "re_4qqhO89gsT"
    order.refresh_from_db()
    assert order.payment_state == PaymentState.PARTIALLY_REFUNDED


@responses.activate
def test_chargeback_marks_payment_disputed(client, queued):
    order = make_order("12345", total="10.00")
    mollie = make_mollie()
    chargeback = fixture("mollie", "chargebacks_list")["_embedded"]["chargebacks"][0]
    responses.get(API, json=mollie_payment("paid", _embedded={"chargebacks": [chargeback]}))

    ping(client, mollie)
    process_pending()

    assert Payment.objects.get().status == PaymentStatus.DISPUTED
    order.refresh_from_db()
    assert order.needs_attention is True


@responses.activate
def test_repeated_pings_apply_once(client, queued):
    make_order("12345", total="10.00")
    mollie = make_mollie()
    make_erp()
    responses.get(API, json=mollie_payment("paid"))

    for _ in range(3):
        ping(client, mollie)
    process_pending()

    assert sorted(InboundEvent.objects.values_list("outcome", flat=True)) == ["created", "skipped", "skipped"]
    assert OutboundMessage.objects.count() == 1


@responses.activate
def test_amount_finer_than_currency_rejected(client, queued):
    make_order("12345", total="10.00")
    mollie = make_mollie()
    responses.get(API, json=mollie_payment("paid", amount={"currency": "EUR", "value": "10.001"}, amountCaptured=None))

    ping(client, mollie)
    process_pending()

    error = SyncError.objects.get()
    assert error.code == "invalid_payment_event"
    assert "10.001" in error.message
    assert Payment.objects.count() == 0


@responses.activate
def test_unreadable_payment_reason_in_each_language(client, queued):
    make_order("12345", total="10.00")
    mollie = make_mollie()
    responses.get(API, json=mollie_payment("teleported"))

    ping(client, mollie)
    process_pending()

    error = SyncError.objects.get()
    assert error.code == "invalid_payment_event"
    assert error.message_translations["en"] == (
        "Mollie payment tr_7UhSN1zuXS was not applied because the event is invalid: "
        "tr_7UhSN1zuXS could not be read (KeyError: 'teleported'). Check the payment at the provider."
    )
    assert "tr_7UhSN1zuXS konnte nicht gelesen werden (KeyError: 'teleported')" in error.message_translations["de"]
    assert Payment.objects.count() == 0
