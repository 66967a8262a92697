"""A PayPal webhook whose verification call cannot reach PayPal gets a 503 response and a sync error."""

import json
import logging
import socket

import pytest
import requests
import responses
from django.utils import translation

from integrations.models import InboundEvent, SyncError
from tests.integrations.framework.intake_client import IntakeClient
from tests.payments.support import fixture, make_connection
from tests.payments.test_paypal_webhook import CLIENT_SECRET, TRANSMISSION, WEBHOOK_ID, mock_paypal

pytestmark = pytest.mark.django_db

HEADERS = {
    "HTTP_PAYPAL_AUTH_ALGO": TRANSMISSION["auth_algo"],
    "HTTP_PAYPAL_CERT_URL": "https://api.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-1d93a270",
    "HTTP_PAYPAL_TRANSMISSION_ID": TRANSMISSION["transmission_id"],
    "HTTP_PAYPAL_TRANSMISSION_SIG": TRANSMISSION["transmission_sig"],
    "HTTP_PAYPAL_TRANSMISSION_TIME": TRANSMISSION["transmission_time"],
}


@pytest.fixture
def closed_port():
    # A loopback port that nothing listens on, so the connection is refused at once.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_paypal(base_url):
    credentials = {"client_id": "kontor-client", "client_secret": CLIENT_SECRET, "webhook_id": WEBHOOK_ID}
    return make_connection("paypal", "paypal", credentials, base_url=base_url)


def post_capture(paypal):
    body = json.dumps(fixture("paypal", "PAYMENT.CAPTURE.COMPLETED")).encode()
    return IntakeClient().post(f"/hooks/{paypal.slug}/", data=body, **HEADERS)


def test_unreachable_paypal_answered_503(closed_port, queued, caplog):
    # given a PayPal connection whose base URL nothing listens on
    paypal = make_paypal(f"http://user:pw@127.0.0.1:{closed_port}/")

    # when PayPal delivers an event
    with caplog.at_level(logging.DEBUG):
        response = post_capture(paypal)

    # then the response says verification failed, in a 5xx that PayPal retries, and nothing is stored
    assert response.status_code == 503
    assert response.json() == {
        "error": "verification_failed",
        "message": "The event could not be verified now and was not stored. Send it again.",
    }
    assert InboundEvent.objects.count() == 0

    # and the log has one line naming the connection and the error, besides the HTTP client's
    # own line, and neither a traceback nor an error line nor a secret
    lines = [record for record in caplog.records if record.name == "integrations.paypal.connector"]
    assert [(record.levelname, record.message) for record in lines] == [("WARNING", "paypal webhook verification failed")]
    assert lines[0].connection_id == paypal.pk
    assert lines[0].code == "connection_failed"
    assert lines[0].url == f"http://127.0.0.1:{closed_port}"
    assert lines[0].error == "POST /v1/oauth2/token failed to connect (ConnectionError)"
    assert all(record.exc_info is None for record in caplog.records)
    assert [record for record in caplog.records if record.levelno >= logging.ERROR] == []
    logged = " ".join(str(vars(record)) for record in caplog.records)
    assert CLIENT_SECRET not in logged
    assert "user:pw" not in logged


def test_unreachable_paypal_recorded_for_support(closed_port, queued):
    # given a PayPal connection whose base URL nothing listens on
    paypal = make_paypal(f"http://127.0.0.1:{closed_port}")

    # when PayPal delivers two events
    post_capture(paypal)
    post_capture(paypal)

    # then one open sync error names the address, in English and German
    error = SyncError.objects.get()
    assert error.connection == paypal
    assert error.code == "webhook_verification_failed"
    assert error.entity == "payments"
    assert error.message == (
        "Kontor could not verify PayPal webhook events, so it did not store them. PayPal sends each event "
        f"again later. Kontor could not connect to http://127.0.0.1:{closed_port}. Check that the base URL in "
        "the connection settings is correct and that the system is online and reachable from the Kontor server, "
        "then test again."
    )
    with translation.override("de"):
        german = error.localized_message()
    assert german.startswith("Kontor konnte PayPal-Webhook-Ereignisse nicht prüfen und hat sie daher nicht gespeichert.")
    assert f"Kontor konnte keine Verbindung zu http://127.0.0.1:{closed_port} herstellen." in german


@responses.activate
def test_verified_event_resolves_the_failure(queued):
    # given an open verification failure of a PayPal connection that responds again
    paypal = make_paypal("https://api.paypal.test")
    responses.post("https://api.paypal.test/v1/oauth2/token", body=requests.ConnectionError("refused"))
    post_capture(paypal)
    responses.reset()
    mock_paypal("SUCCESS")

    # when the next event is verified
    response = post_capture(paypal)

    # then it is stored and the failure is resolved
    assert response.status_code == 200
    assert InboundEvent.objects.count() == 1
    error = SyncError.objects.get()
    assert error.resolved is True
    assert error.resolved_at is not None


@responses.activate
def test_paypal_outage_names_the_address(queued):
    # given PayPal answering its verification call with 503
    paypal = make_paypal("https://api.paypal.test")
    mock_paypal(verify_status=503)

    # when PayPal delivers an event
    response = post_capture(paypal)

    # then the sync error names the address and the status
    assert response.status_code == 503
    assert SyncError.objects.get().message.endswith(
        "https://api.paypal.test had an internal error (HTTP 503). Check the status page of the system or ask its "
        "operator, then test again."
    )


@responses.activate
def test_rate_limit_keeps_its_support_message(queued):
    # given PayPal rejecting the verification call for its rate limit
    paypal = make_paypal("https://api.paypal.test")
    mock_paypal(verify_status=429)

    # when PayPal delivers an event
    post_capture(paypal)

    # then the reason is the rate limit's support message, which speaks of no test request
    message = SyncError.objects.get().message
    assert "rejected the request because of its rate limit" in message
    assert "test request" not in message
