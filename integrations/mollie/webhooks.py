"""Mollie webhook intake (classic payment webhooks, https://docs.mollie.com/reference/webhooks).

Mollie posts `id=tr_…` form-encoded, unsigned and without a status. Kontor stores the id and
fetches the payment with its API key when it processes the event, so a forged call can make
Kontor read a payment but never mark one paid.
"""

import re
import uuid
from urllib.parse import parse_qs

from django.utils import timezone

from integrations.registry import InboundItem, WebhookMalformed

PAYMENT_ID = re.compile(r"^tr_[A-Za-z0-9]{1,64}$")


def parse_ping(body):
    """Return the payment id of a webhook body; raise WebhookMalformed for anything else."""
    try:
        fields = parse_qs(body.decode("ascii"), strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        raise WebhookMalformed("the body is not a form-encoded id=tr_… field") from None
    ids = fields.get("id", [])
    if len(ids) != 1 or not PAYMENT_ID.match(ids[0]):
        raise WebhookMalformed("the body needs exactly one id field with a Mollie payment id (tr_…)")
    return ids[0]


def inbound_items(payment_id):
    # Every ping is kept: it carries no status, so two pings for one payment (paid, then
    # refunded) look the same, and dropping the second could lose the refund.
    # NOTE: replayed pings are therefore not deduplicated; each costs one GET of the payment.
    return [
        InboundItem(
            entity="payments",
            external_id=payment_id,
            dedup_key=f"mollie:{payment_id}:{uuid.uuid4().hex}",
            payload={"id": payment_id},
            occurred_at=timezone.now(),
            event_type="payment.ping",
        )
    ]
