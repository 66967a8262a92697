"""The support and test messages of an open circuit state the breaker's reset timeout."""

import uuid

import pytest
import responses
from django.utils import translation

from integrations.circuit import CircuitBreaker
from integrations.errors import CircuitOpen
from integrations.http import ConnectorHttpClient


def blocked_request(base_url):
    """Return the CircuitOpen error of a request through a breaker opened with its default timeout."""
    breaker = CircuitBreaker(f"test-{uuid.uuid4().hex}", failure_threshold=1)
    breaker.record_failure()
    http = ConnectorHttpClient("Shop DE", base_url, circuit_breaker=breaker)
    with pytest.raises(CircuitOpen) as caught:
        http.request("GET", "products")
    return caught.value


def test_default_wait_matches_breaker():
    assert CircuitOpen(connection="Shop DE").reset_timeout == CircuitBreaker("any").reset_timeout


@responses.activate
def test_support_message_states_default_wait():
    error = blocked_request("https://shop.example.com/api")

    with translation.override("en"):
        message = error.support_message

    assert message == (
        "Requests to Shop DE at https://shop.example.com/api are paused for 60 seconds after repeated "
        "failures. Kontor then tries again automatically. Check that https://shop.example.com/api is online."
    )
    assert len(responses.calls) == 0


@responses.activate
def test_support_message_states_wait_german():
    error = blocked_request("https://shop.example.com/api")

    with translation.override("de"):
        message = error.support_message

    assert message == (
        "Anfragen an Shop DE unter https://shop.example.com/api sind nach wiederholten Fehlern für "
        "60 Sekunden pausiert. Danach versucht Kontor es automatisch erneut. Prüfen Sie, ob "
        "https://shop.example.com/api online ist."
    )


def test_message_without_url_states_wait():
    error = CircuitOpen(connection="Shop DE", reset_timeout=90)

    with translation.override("en"):
        english = error.support_message
    with translation.override("de"):
        german = error.support_message

    assert english == (
        "Requests to Shop DE are paused for 90 seconds after repeated failures. Kontor then tries "
        "again automatically. Check that Shop DE is online."
    )
    assert german == (
        "Anfragen an Shop DE sind nach wiederholten Fehlern für 90 Sekunden pausiert. Danach "
        "versucht Kontor es automatisch erneut. Prüfen Sie, ob Shop DE online ist."
    )


@pytest.mark.parametrize(
    ("reset_timeout", "english", "german"),
    [
        (1, "paused for 1 second after", "für 1 Sekunde pausiert"),
        # A fraction rounds up, so the message never promises a retry before the breaker allows one.
        (0.5, "paused for 1 second after", "für 1 Sekunde pausiert"),
        (30.2, "paused for 31 seconds after", "für 31 Sekunden pausiert"),
        (300, "paused for 300 seconds after", "für 300 Sekunden pausiert"),
    ],
)
def test_wait_singular_plural_rounding(reset_timeout, english, german):
    error = CircuitOpen(connection="Shop DE", url="https://shop.example.com", reset_timeout=reset_timeout)

    with translation.override("en"):
        english_message = error.support_message
    with translation.override("de"):
        german_message = error.support_message

    assert english in english_message
    assert german in german_message


def test_test_message_states_wait():
    error = CircuitOpen("GET /ping not sent: circuit open", connection="shop", url="http://127.0.0.1:8000", reset_timeout=120)

    with translation.override("en"):
        english = error.test_message(url="http://127.0.0.1:8000")
    with translation.override("de"):
        german = error.test_message(url="http://127.0.0.1:8000")

    assert english == (
        "Kontor sent no test request to http://127.0.0.1:8000, because requests to it are paused for "
        "120 seconds after repeated failures. Check that http://127.0.0.1:8000 is online, then test again later."
    )
    assert german == (
        "Kontor hat keine Testanfrage an http://127.0.0.1:8000 gesendet, weil Anfragen dorthin nach "
        "wiederholten Fehlern für 120 Sekunden pausiert sind. Prüfen Sie, ob http://127.0.0.1:8000 "
        "online ist, und testen Sie später erneut."
    )


def test_invalid_reset_timeout_rejected():
    with pytest.raises(ValueError, match="reset_timeout must be greater than 0, got -5"):
        CircuitOpen(connection="Shop DE", reset_timeout=-5)
