"""Builders shared by the payment tests: orders, provider connections, an ERP that takes payments."""

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from catalog.models import Channel
from integrations.models import Connection, ConnectionEntity, Direction, InboundEvent, InboundState
from integrations.registry import Connector
from integrations.services.inbox import process_inbound_event
from orders.models import Order

REPO = Path(__file__).resolve().parents[2]


def fixture(kind, name):
    """Load a provider fixture from integrations/<kind>/tests/fixtures/<name>.json."""
    return json.loads((REPO / "integrations" / kind / "tests" / "fixtures" / f"{name}.json").read_text())


class PaymentErpConnector(Connector):
    """An ERP that subscribes to payment status; deliveries are not exercised here."""

    kind = "payment-erp"
    writes = frozenset({"payments", "shipments"})


def make_order(number="1001", *, currency="EUR", total="20.00", channel_code="shop-de"):
    channel, _ = Channel.objects.get_or_create(code=channel_code, defaults={"name": channel_code, "currencies": [currency]})
    total = Decimal(total)
    return Order.objects.create(
        channel=channel,
        external_number=number,
        currency=currency,
        total_net=total,
        total_tax=Decimal(0),
        total_gross=total,
        placed_at=datetime(2026, 1, 1, 9, 0, tzinfo=UTC),
    )


def make_connection(kind, slug, credentials, *, base_url="", entities=(), direction=Direction.IN):
    connection = Connection(kind=kind, name=slug, slug=slug, base_url=base_url, rate_limit_per_second=1000, rate_limit_burst=1000)
    connection.set_credentials(credentials)
    connection.save()
    for entity in entities:
        ConnectionEntity.objects.create(connection=connection, entity=entity, direction=direction)
    return connection


def make_erp():
    return make_connection("payment-erp", "erp", {}, entities=("payments", "shipments"), direction=Direction.OUT)


def process_pending(max_rounds=5):
    """Process every pending inbox event, again and again, as the sweep's retries would.

    An event that waits for another one (a refund before its payment) succeeds on a later round.
    """
    for _ in range(max_rounds):
        pending = list(InboundEvent.objects.filter(state=InboundState.PENDING).order_by("pk").values_list("pk", flat=True))
        if not pending:
            return
        for event_id in pending:
            process_inbound_event(event_id)
