"""The only module that calls the Mollie API (https://api.mollie.com/v2, Bearer API key)."""

from integrations.services.clients import http_client_for

DEFAULT_BASE_URL = "https://api.mollie.com"


class MollieClient:
    def __init__(self, connection):
        if not connection.base_url:
            connection.base_url = DEFAULT_BASE_URL
        self.http = http_client_for(
            connection,
            default_headers={"Authorization": f"Bearer {connection.credentials.get('api_key', '')}"},
            mask_fields=("api_key",),
        )

    def get_payment(self, payment_id):
        """Fetch a payment with its refunds and chargebacks embedded."""
        return self.http.request_json("GET", f"/v2/payments/{payment_id}", params={"embed": "refunds,chargebacks"})
