"""The Mollie connector: payment status and refunds, fetched from the API on every webhook ping.

Shops put the order into the payment's `metadata` when they create it: `kontor_order_id`, or
`order_number` (also read from `order_id`), optionally with `channel`.
"""

import logging

from django.utils.translation import gettext_lazy as _

from integrations.errors import NotFound
from integrations.mollie import mappers, webhooks
from integrations.mollie.client import MollieClient
from integrations.registry import Connector, CredentialField, Mode
from orders.services_payments import apply_payment_report

logger = logging.getLogger(__name__)


class MollieConnector(Connector):
    kind = "mollie"
    display_name = "Mollie"
    reads = frozenset({"payments"})
    mode = Mode.WEBHOOK
    credential_fields = (CredentialField("api_key", _("API key (live_… or test_…)"), auth=True),)

    def health_check(self, connection):
        MollieClient(connection).http.request("GET", "/v2/methods")
        return "ok"

    def verify_webhook(self, connection, body, headers):
        """Accept every ping: Mollie does not sign them, and processing trusts only the API."""

    def parse_webhook(self, connection, body, headers, entity=None):
        return webhooks.inbound_items(webhooks.parse_ping(body))

    def process_inbound(self, event):
        connection = event.connection
        try:
            payment = MollieClient(connection).get_payment(event.external_id)
        except NotFound:
            # A ping for a payment this API key cannot see: forged, or sent to the wrong connection.
            logger.warning("mollie payment not found", extra={"connection_id": connection.pk, "payment_id": event.external_id})
            return "ignored"
        report = mappers.report_from_payment(payment)
        return apply_payment_report(report, connection=connection, actor=f"mollie:{connection.slug}")
