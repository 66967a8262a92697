"""The connector the benchmarks talk to: HMAC-signed stock webhooks in, stock PUTs out.

It is registered only by the benchmark processes (bench/wsgi.py and bench/worker.py), never
by Kontor itself.
"""

import hashlib
import hmac
import json

from integrations.registry import (
    Connector,
    CredentialField,
    InboundItem,
    Mode,
    WebhookMalformed,
    WebhookRejected,
)
from integrations.services.clients import http_client_for

SIGNATURE_HEADER = "X-Bench-Signature"


def sign(secret, body):
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class BenchConnector(Connector):
    kind = "bench"
    display_name = "Benchmark system"
    reads = frozenset({"stock"})
    writes = frozenset({"stock"})
    mode = Mode.WEBHOOK
    credential_fields = (CredentialField("webhook_secret", "Webhook secret"),)

    def verify_webhook(self, connection, body, headers):
        expected = sign(connection.credentials["webhook_secret"], body)
        if not hmac.compare_digest(expected, headers.get(SIGNATURE_HEADER, "")):
            raise WebhookRejected("signature mismatch")

    def parse_webhook(self, connection, body, headers, entity=None):
        try:
            event = json.loads(body)
            return [
                InboundItem(
                    entity="stock",
                    external_id=event["sku"],
                    dedup_key=f"stock:{event['sku']}:{event['version']}",
                    payload=event,
                    version=str(event["version"]),
                    event_type="stock.updated",
                )
            ]
        except (ValueError, KeyError, TypeError):
            raise WebhookMalformed("not a benchmark stock event") from None

    def process_inbound(self, event):
        return "ignored"

    def deliver(self, message):
        client = http_client_for(message.connection, timeout=(3.05, 10))
        client.request(
            "PUT", f"/stock/{message.object_id}", json=message.payload, idempotency_key=message.idempotency_key
        )
        return ""
