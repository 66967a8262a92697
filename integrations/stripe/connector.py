"""The Stripe connector: payment intents, charges, refunds and disputes reported by webhook.

Shops put the order into the payment intent's metadata when they create it: `kontor_order_id`
(Kontor's order id) or `order_number` (the channel's order number, also read from `order_id`),
optionally with `channel` (the channel code) when several channels share order numbers.
"""

import logging

from django.utils.translation import gettext_lazy as _

from integrations.registry import Connector, CredentialField, Mode
from integrations.stripe import mappers, webhooks
from integrations.stripe.client import StripeClient
from orders.services_payments import apply_payment_report

logger = logging.getLogger(__name__)


class StripeConnector(Connector):
    kind = "stripe"
    display_name = "Stripe"
    reads = frozenset({"payments"})
    mode = Mode.WEBHOOK
    credential_fields = (
        CredentialField("api_key", _("Secret API key (sk_… or rk_…)"), auth=True),
        CredentialField("webhook_secrets", _("Webhook signing secrets (whsec_…), one per line while rolling")),
    )

    def health_check(self, connection):
        StripeClient(connection).http.request("GET", "/v1/balance")
        return "ok"

    def verify_webhook(self, connection, body, headers):
        webhooks.verify_signature(body, headers.get(webhooks.SIGNATURE_HEADER, ""), webhooks.secrets_of(connection))

    def parse_webhook(self, connection, body, headers, entity=None):
        event = webhooks.parse_event(body)
        expected = webhooks.livemode_of(connection)
        if expected is not None and event.get("livemode") is not expected:
            # Test and live mode are separate at Stripe; a test event must not pay a live order.
            logger.warning(
                "stripe event of the other mode dropped",
                extra={"connection_id": connection.pk, "event_id": event["id"], "livemode": event.get("livemode")},
            )
            return []
        return webhooks.inbound_items(event)

    def process_inbound(self, event):
        connection = event.connection
        report = mappers.report_from_event(event.payload, fetch_dispute=lambda dispute_id: StripeClient(connection).get_dispute(dispute_id))
        return apply_payment_report(report, connection=connection, actor=f"stripe:{connection.slug}")
