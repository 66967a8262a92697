"""The only module that calls the PayPal REST API (OAuth2 client credentials, then Bearer token)."""

import base64
import hashlib

from django.core.cache import cache

from integrations.services.clients import http_client_for

DEFAULT_BASE_URL = "https://api-m.paypal.com"

# Renew the token this long before PayPal's expires_in runs out, so no call carries a token
# that expires on the way.
TOKEN_RENEWAL_MARGIN_SECONDS = 300


class PaypalClient:
    def __init__(self, connection):
        if not connection.base_url:
            connection.base_url = DEFAULT_BASE_URL
        self.connection = connection
        self.http = http_client_for(connection, mask_fields=("client_secret", "access_token"))

    def _token_cache_key(self):
        # The client id in the key, so new credentials never reuse the old credentials' token.
        client_id = self.connection.credentials.get("client_id", "")
        digest = hashlib.sha256(f"{self.connection.pk}:{client_id}".encode()).hexdigest()[:16]
        return f"paypal:token:{digest}"

    def access_token(self):
        """Return a cached access token, fetching a new one with the client credentials when needed."""
        key = self._token_cache_key()
        token = cache.get(key)
        if token:
            return token

        credentials = self.connection.credentials
        body = self.http.request_json(
            "POST",
            "/v1/oauth2/token",
            data={"grant_type": "client_credentials"},
            headers={"Accept": "application/json", "Authorization": _basic(credentials.get("client_id", ""), credentials.get("client_secret", ""))},
        )
        token = body["access_token"]
        lifetime = int(body.get("expires_in", 0)) - TOKEN_RENEWAL_MARGIN_SECONDS
        if lifetime > 0:
            cache.set(key, token, lifetime)
        return token

    def _auth(self):
        return {"Authorization": f"Bearer {self.access_token()}"}

    def verify_webhook_signature(self, fields):
        """Post the transmission headers and the parsed event; return PayPal's verification_status."""
        body = self.http.request_json("POST", "/v1/notifications/verify-webhook-signature", json=fields, headers=self._auth())
        return body.get("verification_status")

    def get_capture(self, capture_id):
        return self.http.request_json("GET", f"/v2/payments/captures/{capture_id}", headers=self._auth())


def _basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
