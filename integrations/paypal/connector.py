"""The PayPal connector: capture, refund and dispute webhooks, verified by PayPal's postback.

Shops put their order number into the purchase unit's `custom_id` (or `invoice_id`), which
PayPal copies to the capture and its refunds.
"""

from django.utils.translation import gettext_lazy as _

from integrations.paypal import mappers, webhooks
from integrations.paypal.client import PaypalClient
from integrations.registry import Connector, CredentialField, Mode, WebhookRejected
from orders.services_payments import apply_payment_report


class PaypalConnector(Connector):
    kind = "paypal"
    display_name = "PayPal"
    reads = frozenset({"payments"})
    mode = Mode.WEBHOOK
    stored_headers = ("PAYPAL-TRANSMISSION-ID",)
    credential_fields = (
        CredentialField("client_id", _("Client ID"), secret=False, auth=True),
        CredentialField("client_secret", _("Secret"), auth=True),
        CredentialField("webhook_id", _("Webhook ID"), secret=False),
    )

    def health_check(self, connection):
        PaypalClient(connection).access_token()
        return "ok"

    def verify_webhook(self, connection, body, headers):
        """Ask PayPal whether the delivery is genuine; raise WebhookRejected unless the status is SUCCESS.

        A failing postback (timeout, 5xx) raises its ConnectorError, so the view returns 500 and
        PayPal delivers the event again later.
        """
        request = webhooks.verification_request(connection, body, headers)
        if request is None:
            return
        status = PaypalClient(connection).verify_webhook_signature(request)
        if status != "SUCCESS":
            raise WebhookRejected(f"PayPal verification status {status!r}")

    def parse_webhook(self, connection, body, headers, entity=None):
        return webhooks.inbound_items(webhooks.parse_event(body))

    def process_inbound(self, event):
        connection = event.connection
        report = mappers.report_from_event(event.payload, event.external_id)
        return apply_payment_report(report, connection=connection, actor=f"paypal:{connection.slug}")
