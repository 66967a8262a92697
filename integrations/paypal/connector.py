"""The PayPal connector: capture, refund and dispute webhooks, verified by PayPal's postback.

Shops put their order number into the purchase unit's `custom_id` (or `invoice_id`), which
PayPal copies to the capture and its refunds.
"""

import logging

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from integrations.errors import (
    AuthError,
    ConnectionFailed,
    ConnectorError,
    ServerError,
    Timeout,
    url_without_secrets,
)
from integrations.models import SyncDirection, SyncError
from integrations.paypal import mappers, webhooks
from integrations.paypal.client import PaypalClient
from integrations.registry import Connector, CredentialField, Mode, WebhookRejected
from integrations.services.syncruns import record_sync_error
from orders.services_payments import apply_payment_report

logger = logging.getLogger(__name__)


class VerificationFailed(ConnectorError):
    """PayPal's verification call failed, so a webhook event was neither verified nor stored.

    `cause` is the ConnectorError of the call. The support message names the address that
    Kontor called and what to check there.
    """

    code = "webhook_verification_failed"
    retryable = True
    message_template = _(
        "Kontor could not verify PayPal webhook events, so it did not store them. PayPal sends "
        "each event again later. %(reason)s"
    )

    def __init__(self, cause, *, url):
        super().__init__(str(cause), connection=cause.connection, status=cause.status)
        self.cause = cause
        self.url = url_without_secrets(url)

    def message_params(self):
        # These causes' test messages name the address and what to check there. The others'
        # speak of a test request that Kontor did not send, so their support message fits better.
        if isinstance(self.cause, (AuthError, ConnectionFailed, ServerError, Timeout)):
            reason = self.cause.test_message(url=self.url)
        else:
            reason = self.cause.support_message
        return {**super().message_params(), "reason": reason}


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

        A failing postback (unreachable, timeout, 5xx) raises VerificationFailed, so the sender
        gets a 5xx and PayPal delivers the event again later. The failure is shown to support as
        one open sync error of the connection, which the next verified event resolves.
        """
        request = webhooks.verification_request(connection, body, headers)
        if request is None:
            return
        client = PaypalClient(connection)
        try:
            status = client.verify_webhook_signature(request)
        except ConnectorError as error:
            raise verification_failed(connection, error, client.connection.base_url) from error
        resolve_verification_errors(connection)
        if status != "SUCCESS":
            raise WebhookRejected(f"PayPal verification status {status!r}")

    def parse_webhook(self, connection, body, headers, entity=None):
        return webhooks.inbound_items(webhooks.parse_event(body))

    def process_inbound(self, event):
        connection = event.connection
        report = mappers.report_from_event(event.payload, event.external_id)
        return apply_payment_report(report, connection=connection, actor=f"paypal:{connection.slug}")


def verification_failed(connection, error, url):
    """Log and record a failed verification call; return the VerificationFailed to raise."""
    failure = VerificationFailed(error, url=url)
    logger.warning(
        "paypal webhook verification failed",
        extra={"connection_id": connection.pk, "code": error.code, "url": failure.url, "error": str(error)},
    )
    # Logged above in one line, so the sync error adds no second one.
    record_sync_error(connection, SyncDirection.INBOUND, failure, entity="payments", log_level=logging.DEBUG)
    return failure


def resolve_verification_errors(connection):
    """Mark the connection's open verification failures resolved, because PayPal responded again."""
    SyncError.objects.filter(connection=connection, code=VerificationFailed.code, resolved=False).update(
        resolved=True, resolved_at=timezone.now()
    )
