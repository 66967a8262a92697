"""The DHL Parcel DE connector: labels through the Shipping API v2, tracking pulled on the hot lane."""

from django.utils.translation import gettext_lazy as _

from integrations.dhl import mappers
from integrations.dhl.billing import BILLING_NUMBER_LABEL, clean_billing_number
from integrations.dhl.client import DhlClient
from integrations.registry import Connector, CredentialField, Mode
from orders.services_shipments import apply_shipment_report


class DhlConnector(Connector):
    kind = "dhl"
    display_name = "DHL Parcel DE"
    reads = frozenset({"shipments"})
    mode = Mode.PULL
    credential_fields = (
        CredentialField("api_key", _("API key (dhl-api-key)"), auth=True),
        CredentialField("username", _("Business customer portal user"), secret=False, auth=True),
        CredentialField("password", _("Business customer portal password"), auth=True),
        CredentialField("billing_number", BILLING_NUMBER_LABEL, secret=False, validator=clean_billing_number),
        CredentialField("product", _("Product, such as V01PAK"), secret=False, required=False),
        CredentialField("shipper_ref", _("Shipper reference from the business customer portal"), secret=False, required=False),
    )

    def health_check(self, connection):
        # A wrong billing number passes this call but fails every label, so the test names it first.
        clean_billing_number(connection.credentials.get("billing_number", ""))
        DhlClient(connection).http.request("GET", "/parcel/de/shipping/v2/")
        return "ok"

    def process_inbound(self, event):
        report = mappers.report_from_event(event.payload["event"], event.payload["tracking_number"], event.connection.time_zone)
        if report is None:
            return "ignored"
        return apply_shipment_report(report, connection=event.connection, actor=f"dhl:{event.connection.slug}")
