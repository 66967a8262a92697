"""The only module that calls the Stripe API (https://api.stripe.com/v1, Bearer secret key)."""

from integrations.services.clients import http_client_for

DEFAULT_BASE_URL = "https://api.stripe.com"


class StripeClient:
    def __init__(self, connection):
        credentials = connection.credentials
        if not connection.base_url:
            connection.base_url = DEFAULT_BASE_URL
        self.http = http_client_for(
            connection,
            default_headers={"Authorization": f"Bearer {credentials.get('api_key', '')}"},
            mask_fields=("api_key",),
        )

    def get_dispute(self, dispute_id):
        return self.http.request_json("GET", f"/v1/disputes/{dispute_id}")

    def get_payment_intent(self, payment_intent_id):
        return self.http.request_json("GET", f"/v1/payment_intents/{payment_intent_id}")
