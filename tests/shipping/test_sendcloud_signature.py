import json

import pytest

from integrations.registry import WebhookRejected
from integrations.sendcloud.webhooks import compute_signature, verify_signature

KEY = "sendcloud-secret-vector"
BODY = b'{"action":"parcel_status_changed","parcel":{"id":1}}'
# `printf '%s' "$BODY" | openssl dgst -sha256 -hmac sendcloud-secret-vector`
KNOWN_SIGNATURE = "ba589f353e83d238be6803fffd96f571e450cb63c941dd829983ed7bd2c7e04a"


def test_known_vector_matches_documented_scheme():
    assert compute_signature(KEY, BODY) == KNOWN_SIGNATURE


def test_known_vector_accepted():
    verify_signature(BODY, KNOWN_SIGNATURE, KEY)


def test_upper_case_hex_accepted():
    verify_signature(BODY, KNOWN_SIGNATURE.upper(), KEY)


def test_one_changed_byte_rejected():
    with pytest.raises(WebhookRejected, match="does not match"):
        verify_signature(BODY.replace(b"1", b"2"), KNOWN_SIGNATURE, KEY)


def test_reserialized_whitespace_rejected():
    reserialized = json.dumps(json.loads(BODY)).encode()

    with pytest.raises(WebhookRejected, match="does not match"):
        verify_signature(reserialized, KNOWN_SIGNATURE, KEY)


def test_wrong_key_rejected():
    with pytest.raises(WebhookRejected, match="does not match"):
        verify_signature(BODY, KNOWN_SIGNATURE, "other-key")


def test_missing_signature_rejected():
    with pytest.raises(WebhookRejected, match="missing"):
        verify_signature(BODY, "", KEY)


def test_missing_key_rejected():
    with pytest.raises(WebhookRejected, match="no Sendcloud secret key"):
        verify_signature(BODY, KNOWN_SIGNATURE, "")
