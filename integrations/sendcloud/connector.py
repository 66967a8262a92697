"""The Sendcloud connector: parcels with labels, and parcel status webhooks.

Webhooks find the order by the parcel's `order_number`, which Kontor sets to the channel's
order number when it creates the parcel.
"""

import logging

from django.utils.translation import gettext_lazy as _

from integrations.registry import Connector, CredentialField, Mode, ValueKind
from integrations.sendcloud import mappers, webhooks
from integrations.sendcloud.client import SendcloudClient
from orders.services_shipments import apply_shipment_report

logger = logging.getLogger(__name__)


class SendcloudConnector(Connector):
    kind = "sendcloud"
    display_name = "Sendcloud"
    reads = frozenset({"shipments"})
    mode = Mode.WEBHOOK
    credential_fields = (
        CredentialField("public_key", _("Public API key"), secret=False, auth=True),
        CredentialField("secret_key", _("Secret API key"), auth=True),
        CredentialField("webhook_signature_key", _("Webhook signature key (if not the secret API key)"), required=False),
        CredentialField("shipping_method_id", _("Shipping method id for new parcels"), secret=False, kind=ValueKind.POSITIVE_INTEGER),
    )

    def health_check(self, connection):
        SendcloudClient(connection).http.request("GET", "/api/v2/user")
        return "ok"

    def verify_webhook(self, connection, body, headers):
        webhooks.verify_signature(body, headers.get(webhooks.SIGNATURE_HEADER, ""), webhooks.signing_key_of(connection))

    def parse_webhook(self, connection, body, headers, entity=None):
        return webhooks.inbound_items(webhooks.parse_payload(body))

    def process_inbound(self, event):
        connection = event.connection
        report = mappers.report_from_webhook(event.payload)
        if report is None:
            logger.warning(
                "sendcloud status id not mapped",
                extra={"connection_id": connection.pk, "parcel_id": event.external_id, "event_type": event.event_type},
            )
            return "ignored"
        return apply_shipment_report(report, connection=connection, actor=f"sendcloud:{connection.slug}")
