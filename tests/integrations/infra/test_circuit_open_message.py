"""The support message of an open circuit names the connection and its base URL, never a secret."""

import uuid

import pytest
import responses
from django.utils import translation

from integrations.circuit import CircuitBreaker
from integrations.errors import CircuitOpen, url_without_secrets
from integrations.http import ConnectorHttpClient


def open_breaker():
    breaker = CircuitBreaker(f"test-{uuid.uuid4().hex}", failure_threshold=1, reset_timeout=60)
    breaker.record_failure()
    return breaker


def blocked_request(base_url):
    """Return the CircuitOpen error of a request through an open circuit to `base_url`."""
    http = ConnectorHttpClient("Shop DE", base_url, circuit_breaker=open_breaker())
    with pytest.raises(CircuitOpen) as caught:
        http.request("GET", "products")
    return caught.value


@responses.activate
def test_circuit_open_message_names_base_url():
    error = blocked_request("https://shop.example.com/api/")

    with translation.override("en"):
        message = error.support_message

    assert message == (
        "Requests to Shop DE at https://shop.example.com/api are paused for 60 seconds after repeated failures. "
        "Kontor then tries again automatically. Check that https://shop.example.com/api is online."
    )
    assert len(responses.calls) == 0


@responses.activate
def test_circuit_open_message_in_german():
    error = blocked_request("https://shop.example.com/api")

    with translation.override("de"):
        message = error.support_message

    assert message == (
        "Anfragen an Shop DE unter https://shop.example.com/api sind nach wiederholten Fehlern für 60 Sekunden pausiert. "
        "Danach versucht Kontor es automatisch erneut. Prüfen Sie, ob https://shop.example.com/api online ist."
    )


@responses.activate
def test_circuit_open_message_drops_credentials_and_query():
    error = blocked_request("https://api-user:s3cret-pass@erp.example.com:8443/jsonrpc?api_key=k-0123456789#top")

    message = error.support_message

    assert "https://erp.example.com:8443/jsonrpc " in message
    assert "api-user" not in message
    assert "s3cret-pass" not in message
    assert "api_key" not in message
    assert "k-0123456789" not in message
    assert "#top" not in message


def test_circuit_open_message_without_url():
    error = CircuitOpen(connection="Shop DE")

    with translation.override("de"):
        message = error.support_message

    assert message == (
        "Anfragen an Shop DE sind nach wiederholten Fehlern für 60 Sekunden pausiert. Danach versucht "
        "Kontor es automatisch erneut. Prüfen Sie, ob Shop DE online ist."
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://shop.example.com", "https://shop.example.com"),
        ("https://shop.example.com/", "https://shop.example.com"),
        ("http://user:pw@[::1]:8069/odoo/?db=main", "http://[::1]:8069/odoo"),
        ("", ""),
        ("not a url", ""),
    ],
)
def test_url_without_secrets(url, expected):
    assert url_without_secrets(url) == expected
