"""Four workers send two ordered streams at once, with hand-backs, failures and a killed sender.

The connector below keeps the order of its messages like Odoo's orders (ordered_entities) and
records every batch it is sent. The workers are threads with their own database connections
that run batches.deliver_due_messages as lane tasks do.
"""

import random
import threading
import time
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from integrations.domains import Domain
from integrations.errors import CircuitOpen, ConnectorError
from integrations.models import Connection, OutboundMessage, OutboundState
from integrations.registry import Connector, register, unregister
from integrations.services import batches
from tests.breakbatch.helpers import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MESSAGES_PER_CONNECTION = 120


class OrderedErp(Connector):
    """An ERP that must get its orders in written order. It records each batch and can fail."""

    kind = "ordered-erp"
    writes = frozenset({Domain.ORDERS})
    batch_entities = frozenset({Domain.ORDERS})
    ordered_entities = frozenset({Domain.ORDERS})

    guard = threading.Lock()
    sending = {}
    overlaps = []
    sent = {}
    rejected = set()
    pause_chance = 0.0
    random = random.Random(7)

    def deliver_batch(self, messages):
        connection_id = messages[0].connection_id
        with self.guard:
            if self.sending.get(connection_id):
                self.overlaps.append((self.sending[connection_id], [message.pk for message in messages]))
            self.sending[connection_id] = [message.pk for message in messages]
            pause = self.random.random() < self.pause_chance
        try:
            time.sleep(0.002)
            if pause:
                # The breaker stops the batch before it is sent: every message is handed back.
                raise CircuitOpen("paused", retry_after=0)
            results = {}
            with self.guard:
                for message in messages:
                    if message.pk in self.rejected:
                        results[message.pk] = ConnectorError("rejected")
                    else:
                        self.sent.setdefault(connection_id, []).append(message.pk)
                        results[message.pk] = f"SO{message.pk}"
            return results
        finally:
            with self.guard:
                self.sending[connection_id] = None


@pytest.fixture
def erp():
    unregister(OrderedErp.kind)
    register(OrderedErp)
    OrderedErp.sending, OrderedErp.overlaps, OrderedErp.sent, OrderedErp.rejected = {}, [], {}, set()
    OrderedErp.pause_chance = 0.0
    yield OrderedErp
    unregister(OrderedErp.kind)


def _write_orders(connection, count):
    content_type = ContentType.objects.get_for_model(Connection)
    now = timezone.now()
    OutboundMessage.objects.bulk_create(
        OutboundMessage(
            connection=connection, entity=Domain.ORDERS, content_type=content_type, object_id=f"{connection.pk}-{number}",
            payload={"number": number}, fingerprint=f"{connection.pk}-{number}", idempotency_key=f"{connection.pk}-{number}",
            lane="hot", next_attempt_at=now,
        )
        for number in range(count)
    )
    return list(OutboundMessage.objects.filter(connection=connection).order_by("pk").values_list("pk", flat=True))


def _two_streams():
    first = Connection.objects.create(kind=OrderedErp.kind, name="ERP one", slug="erp-one")
    second = Connection.objects.create(kind=OrderedErp.kind, name="ERP two", slug="erp-two")
    return {first.pk: _write_orders(first, MESSAGES_PER_CONNECTION), second.pk: _write_orders(second, MESSAGES_PER_CONNECTION)}


def _worker(batch_size, until):
    def work():
        while time.monotonic() < until:
            if not OutboundMessage.objects.filter(state__in=batches.UNFINISHED).exists():
                return
            if not batches.deliver_due_messages("hot", batch_size=batch_size, requeue=False):
                time.sleep(0.01)
    return work


def _run_workers(seconds=60):
    until = time.monotonic() + seconds
    results = run_in_threads(*(_worker(size, until) for size in (3, 5, 7, 11)), timeout=seconds + 30)
    assert [result for result in results if isinstance(result, BaseException)] == []


def _out_of_order(sent):
    return [(before, after) for before, after in zip(sent, sent[1:], strict=False) if after < before]


def test_four_workers_keep_stream_order(erp):
    streams = _two_streams()

    _run_workers()

    assert erp.overlaps == []
    for connection_id, message_ids in streams.items():
        assert erp.sent[connection_id] == message_ids


def test_hand_backs_keep_stream_order(erp, monkeypatch):
    streams = _two_streams()
    erp.rejected = {message_ids[index] for message_ids in streams.values() for index in (5, 40, 77)}
    erp.pause_chance = 0.15
    # A handed-back message waits at least a second, so the test shortens the wait to 0.2 s.
    real_hand_back = batches._hand_back

    def hand_back(message, error, now):
        real_hand_back(message, error, now)
        OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=now + timedelta(seconds=0.2))

    monkeypatch.setattr(batches, "_hand_back", hand_back)

    _run_workers()

    assert erp.overlaps == []
    for connection_id, message_ids in streams.items():
        expected = [pk for pk in message_ids if pk not in erp.rejected]
        assert _out_of_order(erp.sent[connection_id]) == []
        assert erp.sent[connection_id] == expected
    assert OutboundMessage.objects.filter(state=OutboundState.FAILED).count() == 6


def test_killed_sender_batch_goes_first(erp, monkeypatch):
    streams = _two_streams()
    monkeypatch.setattr(batches, "lease_seconds", lambda lane: 1)
    # A sender claims the first batch and is killed before it sends anything.
    abandoned = [message.pk for message in batches.claim_due_messages("hot", limit=4)]
    assert len(abandoned) == 4

    _run_workers()

    assert erp.overlaps == []
    for connection_id, message_ids in streams.items():
        assert erp.sent[connection_id] == message_ids


def test_waiting_head_holds_own_stream(erp):
    streams = _two_streams()
    first, second = streams.values()
    OutboundMessage.objects.filter(pk=first[0]).update(next_attempt_at=timezone.now() + timedelta(minutes=1))

    claimed = [message.pk for message in batches.claim_due_messages("hot", limit=1000)]

    assert claimed == second


def test_locked_claim_takes_other_messages(erp):
    streams = _two_streams()
    connection = Connection.objects.get(pk=next(iter(streams)))
    stock = OutboundMessage.objects.create(
        connection=connection, entity=Domain.STOCK, content_type=ContentType.objects.get_for_model(Connection),
        object_id="stock-1", payload={}, fingerprint="stock-1", idempotency_key="stock-1", lane="hot", next_attempt_at=timezone.now(),
    )

    with transaction.atomic():
        first = [message.pk for message in batches.claim_due_messages("hot", limit=5)]
        started = time.monotonic()
        [during] = run_in_threads(lambda: [message.pk for message in batches.claim_due_messages("hot")])
        waited = time.monotonic() - started

    assert len(first) == 5
    assert first == sorted(first)
    assert during == [stock.pk]
    assert waited < 2, f"the second claim waited {waited:.1f} s for the first"
