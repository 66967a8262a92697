import json

import pytest

from integrations.registry import WebhookRejected
from integrations.stripe.webhooks import compute_signature, verify_signature

SECRET = "whsec_test_vector"
BODY = b'{"id":"evt_1","object":"event"}'
TIMESTAMP = 1767261600
# HMAC-SHA256 of '1767261600.{"id":"evt_1","object":"event"}' keyed with SECRET, from
# `printf '%s' '<signed string>' | openssl dgst -sha256 -hmac whsec_test_vector`.
KNOWN_SIGNATURE = "bec32a95e6b6da41792e67bf833b73e4172b491db1afe86dbcb705eb73c1dcc4"


def header(signature=KNOWN_SIGNATURE, timestamp=TIMESTAMP):
    return f"t={timestamp},v1={signature}"


def test_known_vector_matches_documented_scheme():
    assert compute_signature(SECRET, TIMESTAMP, BODY) == KNOWN_SIGNATURE


def test_known_vector_accepted():
    verify_signature(BODY, header(), [SECRET], now=TIMESTAMP + 10)


def test_one_changed_byte_rejected():
    tampered = BODY.replace(b"evt_1", b"evt_2")

    with pytest.raises(WebhookRejected, match="no Stripe-Signature v1 signature matches"):
        verify_signature(tampered, header(), [SECRET], now=TIMESTAMP)


def test_reserialized_whitespace_rejected():
    reserialized = json.dumps(json.loads(BODY)).encode()
    assert reserialized != BODY

    with pytest.raises(WebhookRejected, match="matches"):
        verify_signature(reserialized, header(), [SECRET], now=TIMESTAMP)


def test_old_timestamp_rejected():
    with pytest.raises(WebhookRejected, match="outside the tolerance"):
        verify_signature(BODY, header(), [SECRET], now=TIMESTAMP + 301)


def test_future_timestamp_rejected():
    with pytest.raises(WebhookRejected, match="outside the tolerance"):
        verify_signature(BODY, header(), [SECRET], now=TIMESTAMP - 301)


def test_timestamp_at_tolerance_accepted():
    verify_signature(BODY, header(), [SECRET], now=TIMESTAMP + 300)


def test_wrong_secret_rejected():
    with pytest.raises(WebhookRejected, match="matches"):
        verify_signature(BODY, header(), ["whsec_other"], now=TIMESTAMP)


def test_signature_for_other_timestamp_rejected():
    # A valid signature moved to a fresh timestamp: the timestamp is part of the signed string.
    with pytest.raises(WebhookRejected, match="matches"):
        verify_signature(BODY, header(timestamp=TIMESTAMP + 5), [SECRET], now=TIMESTAMP + 5)


def test_rolled_secret_accepted_by_either():
    verify_signature(BODY, header(), ["whsec_new", SECRET], now=TIMESTAMP)


def test_several_v1_entries_one_valid_accepted():
    value = f"t={TIMESTAMP},v1={'0' * 64},v1={KNOWN_SIGNATURE}"

    verify_signature(BODY, value, [SECRET], now=TIMESTAMP)


def test_v0_only_rejected():
    with pytest.raises(WebhookRejected, match="no v1 signature"):
        verify_signature(BODY, f"t={TIMESTAMP},v0={KNOWN_SIGNATURE}", [SECRET], now=TIMESTAMP)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "missing"),
        (f"v1={KNOWN_SIGNATURE}", "no timestamp"),
        (f"t=soon,v1={KNOWN_SIGNATURE}", "not an integer"),
        ("garbage", "no timestamp"),
    ],
)
def test_malformed_header_rejected(value, reason):
    with pytest.raises(WebhookRejected, match=reason):
        verify_signature(BODY, value, [SECRET], now=TIMESTAMP)


def test_no_configured_secret_rejected():
    with pytest.raises(WebhookRejected, match="no webhook signing secret"):
        verify_signature(BODY, header(), [], now=TIMESTAMP)
