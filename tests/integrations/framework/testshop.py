"""A minimal connector used only by the framework tests, registered without any framework change.

Its remote API ("test shop") speaks JSON, signs webhooks with HMAC-SHA256 over the raw body in
X-Testshop-Signature, and sends time stamps as naive local time in the connection's time zone.
catalog.Warehouse stands in for a canonical record because it has the fewest required fields.
"""

import hashlib
import hmac
import json

from catalog.models import Warehouse
from integrations.registry import (
    Connector,
    CredentialField,
    InboundItem,
    Mode,
    Page,
    WebhookMalformed,
    WebhookRejected,
)
from integrations.services.bindings import find_record, record_pulled
from integrations.services.clients import http_client_for
from integrations.services.inbox import is_stale
from integrations.services.leading import apply_inbound_changes
from integrations.services.outbox import enqueue_outbound
from integrations.timezones import from_utc, to_utc

PAGE_SIZE = 3


def sign(secret, body):
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class TestShopConnector(Connector):
    kind = "testshop"
    display_name = "Test shop"
    reads = frozenset({"products", "stock"})
    writes = frozenset({"products", "stock", "prices"})
    mode = Mode.BOTH
    credential_fields = (
        CredentialField("api_token", "API token"),
        CredentialField("webhook_secret", "Webhook secret"),
    )
    stored_headers = ("X-Testshop-Delivery",)

    def client(self, connection):
        return http_client_for(
            connection,
            default_headers={"Authorization": f"Bearer {connection.credentials['api_token']}"},
        )

    def health_check(self, connection):
        self.client(connection).request("GET", "/ping")
        return "pong"

    def verify_webhook(self, connection, body, headers):
        expected = sign(connection.credentials["webhook_secret"], body)
        if not hmac.compare_digest(expected, headers.get("X-Testshop-Signature", "")):
            raise WebhookRejected("signature mismatch")

    def parse_webhook(self, connection, body, headers, entity=None):
        try:
            events = json.loads(body)["events"]
            return [self._item(connection, event["type"], event["object"]) for event in events]
        except (ValueError, KeyError, TypeError) as error:
            raise WebhookMalformed(f"not a test shop event list: {type(error).__name__}") from None

    def _item(self, connection, event_type, obj):
        entity = event_type.split(".")[0]
        return InboundItem(
            entity=entity,
            external_id=str(obj["id"]),
            # The business identity, not the delivery id: a resent event has a new delivery id.
            dedup_key=f"{entity}:{obj['id']}:{obj['updated_at']}",
            payload=obj,
            occurred_at=to_utc(obj["updated_at"], connection.time_zone),
            version=obj["updated_at"],
            event_type=event_type,
        )

    def pull(self, connection, entity, cursor):
        params = {"limit": PAGE_SIZE}
        if cursor:
            local = from_utc(cursor["updated_since"], connection.time_zone).replace(tzinfo=None)
            params["updated_since"] = local.isoformat()
            params["after_id"] = cursor["after_id"]
        body = self.client(connection).request_json("GET", f"/{entity}", params=params)
        items = [self._item(connection, f"{entity}.updated", obj) for obj in body["items"]]
        if len(items) < PAGE_SIZE:
            return Page(items=items, cursor=None)
        last = items[-1]
        return Page(items=items, cursor={"updated_since": last.occurred_at, "after_id": last.external_id})

    def process_inbound(self, event):
        if is_stale(event):
            return "stale"
        connection = event.connection
        record = find_record(connection, Warehouse, event.external_id)
        created = record is None
        if created:
            record = Warehouse.objects.create(code=event.external_id, name=event.payload.get("name", ""))

        changes = apply_inbound_changes(
            connection,
            "products",
            record,
            {"texts": {"name": event.payload.get("name", record.name)}, "attributes": {"is_active": event.payload.get("active", record.is_active)}},
            event=event,
        )
        for group_changes in changes.values():
            for field, value in group_changes.items():
                setattr(record, field, value)
        record.save()
        record_pulled(connection, record, event.external_id, event.version)
        if changes:
            enqueue_outbound(record, "products", {"name": record.name, "active": record.is_active}, origin=connection)
        return "created" if created else ("updated" if changes else "skipped")

    def deliver(self, message):
        response = self.client(message.connection).request(
            "PUT",
            f"/{message.entity}/{message.object_id}",
            json=message.payload,
            idempotency_key=message.idempotency_key,
        )
        return response.headers.get("X-Remote-Id", "")
