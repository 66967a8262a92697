"""The only module that calls DHL: Parcel DE Shipping API v2 and the unified Shipment Tracking API.

Both send the app's key in `dhl-api-key`; shipping also needs the business customer (GKP)
user and password as HTTP Basic.
"""

from integrations.services.clients import http_client_for

DEFAULT_BASE_URL = "https://api-eu.dhl.com"
SHIPPING_PATH = "/parcel/de/shipping/v2"
TRACKING_PATH = "/track/shipments"


class DhlClient:
    def __init__(self, connection):
        if not connection.base_url:
            connection.base_url = DEFAULT_BASE_URL
        credentials = connection.credentials
        self.http = http_client_for(
            connection,
            auth=(credentials.get("username", ""), credentials.get("password", "")),
            default_headers={"dhl-api-key": credentials.get("api_key", ""), "Accept": "application/json"},
            mask_fields=("dhl-api-key", "password"),
        )

    def create_orders(self, shipments):
        """POST /orders with at most 30 shipments, labels as base64 PDF inline.

        200 means every shipment succeeded, 207 a mix, 400 all failed; the caller reads the items.
        """
        response = self.http.request(
            "POST",
            f"{SHIPPING_PATH}/orders",
            params={"includeDocs": "include", "docFormat": "PDF", "mustEncode": "true"},
            json={"profile": "STANDARD_GRUPPENPROFIL", "shipments": shipments},
            expected=(200, 207, 400),
        )
        return response.status_code, response.json()

    def track(self, tracking_number, postal_code=""):
        params = {"trackingNumber": tracking_number, "service": "parcel-de"}
        if postal_code:
            # DHL returns event details only when the recipient's postal code matches.
            params["recipientPostalCode"] = postal_code
        return self.http.request_json("GET", TRACKING_PATH, params=params, expected=(200, 404))
