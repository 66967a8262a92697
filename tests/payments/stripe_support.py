"""Signed Stripe deliveries for the receiver tests."""

import json
import time

from integrations.stripe.webhooks import signature_header
from tests.payments.support import fixture, make_connection

SECRET = "whsec_kontor_test_0123456789"
API_KEY = "sk_test_kontor_0123456789"


def make_stripe(slug="stripe", secrets=SECRET):
    return make_connection("stripe", slug, {"api_key": API_KEY, "webhook_secrets": secrets}, base_url="https://api.stripe.test")


def stripe_event(name, **changes):
    """Load a Stripe event fixture and change fields of its object (amount=..., currency=...)."""
    event = fixture("stripe", name)
    event["data"]["object"].update(changes)
    return event


def post_event(client, connection, event, *, secret=SECRET, timestamp=None, body=None):
    body = body if body is not None else json.dumps(event).encode()
    timestamp = int(time.time()) if timestamp is None else timestamp
    return client.post(
        f"/hooks/{connection.slug}/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature_header(secret, body, timestamp),
    )
