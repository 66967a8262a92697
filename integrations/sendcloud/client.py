"""The only module that calls the Sendcloud API (v2, HTTP Basic with the public and secret key)."""

from integrations.services.clients import http_client_for

DEFAULT_BASE_URL = "https://panel.sendcloud.sc"


class SendcloudClient:
    def __init__(self, connection):
        if not connection.base_url:
            connection.base_url = DEFAULT_BASE_URL
        credentials = connection.credentials
        self.http = http_client_for(
            connection,
            auth=(credentials.get("public_key", ""), credentials.get("secret_key", "")),
            mask_fields=("secret_key",),
        )

    def find_parcel(self, external_reference):
        body = self.http.request_json("GET", "/api/v2/parcels", params={"external_reference": external_reference})
        parcels = body.get("parcels") or []
        return parcels[0] if parcels else None

    def create_parcel(self, request):
        return self.http.request_json("POST", "/api/v2/parcels", json=request)["parcel"]

    def label_pdf(self, parcel_id):
        response = self.http.request("GET", f"/api/v2/labels/label_printer/{parcel_id}")
        return response.content
