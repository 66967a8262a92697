"""Attempts to send an Odoo order stream out of order: lane overrides and the single-message path.

An order that waits for its next attempt without an error holds up the newer orders of its
connection (batches.due_messages). These cases take other routes to a newer order.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.errors import ConnectorError
from integrations.models import (
    ConnectionEntity,
    OutboundMessage,
    OutboundState,
    SyncDirection,
    SyncError,
)
from integrations.services import delivery
from integrations.services.batches import BATCH_TASK, claim_due_messages, deliver_due_messages
from integrations.services.lanes import clear_lane_cache
from integrations.services.syncruns import record_sync_error, retry_sync_error
from tests.odoo.helpers import (
    line,
    make_erp_and_shop,
    order_message,
    place_order,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_lanes():
    clear_lane_cache()
    yield
    clear_lane_cache()


def _setup():
    return make_erp_and_shop()


def _order(channel, shop, erp, number):
    order = place_order(channel, shop, number, [line("CAM-1", 1)], email=f"{number}@example.com")
    return order_message(order, erp)


def _wait(message, minutes=1):
    """Hand the message back unsent, as the breaker does: pending, not due, no error."""
    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=minutes))


def test_old_lane_head_holds_new_lane(sandbox):
    """The lane override moves new orders to another lane, and the older ones stay where they were."""
    erp, channel, shop = _setup()
    older = _order(channel, shop, erp, "70001")
    assert older.lane == "hot"
    _wait(older)

    # The merchant moves the connection's orders to the master lane.
    ConnectionEntity.objects.filter(connection=erp, entity="orders").update(lane="master")
    clear_lane_cache()
    newer = _order(channel, shop, erp, "70002")
    assert newer.lane == "master"

    claimed = [message.pk for message in claim_due_messages("master", entities=("orders",))]

    assert claimed == [], f"order {newer.pk} claimed while the older order {older.pk} waits in lane hot"


def test_single_path_follow_up_waits(sandbox, monkeypatch):
    """The admin retries a failed order, and the newer message of that order still waits its turn."""
    queued = []
    monkeypatch.setattr(delivery, "enqueue_on_commit", lambda task, *ids, lane: queued.append((task, ids, lane)))
    monkeypatch.setattr(delivery, "enqueue_once_on_commit", lambda task, *ids, lane: queued.append((task, ids, lane)), raising=False)
    erp, channel, shop = _setup()
    failed = _order(channel, shop, erp, "71001")
    waiting = _order(channel, shop, erp, "71002")

    failed.state = OutboundState.FAILED
    failed.attempts = 1
    failed.last_error = "Odoo rejected the order"
    failed.save(update_fields=["state", "attempts", "last_error"])
    record_sync_error(
        erp, SyncDirection.OUTBOUND, ConnectorError("Odoo rejected the order"), entity="orders",
        content_type=failed.content_type, object_id=failed.object_id, payload=failed.payload, attempts=1, outbound_message=failed,
    )
    _wait(waiting)
    # A newer change of the failed order, written after its failure.
    follow_up = OutboundMessage.objects.get(pk=failed.pk)
    follow_up.pk = None
    follow_up.state = OutboundState.PENDING
    follow_up.attempts = 0
    follow_up.last_error = ""
    follow_up.idempotency_key = "follow-up-71001"
    follow_up.fingerprint = "changed"
    follow_up.next_attempt_at = timezone.now()
    follow_up.save()
    assert follow_up.pk > waiting.pk
    assert claim_due_messages("hot", entities=("orders",)) == []

    retry_sync_error(SyncError.objects.get(outbound_message=failed))
    assert delivery.deliver_message(failed.pk) == OutboundState.DELIVERED
    # Run the tasks that the delivery queued, as the lane's workers would.
    for task, ids, lane in list(queued):
        if task == delivery.DELIVER_TASK:
            delivery.deliver_message(*ids)
        elif task == BATCH_TASK:
            deliver_due_messages(lane, requeue=False)

    follow_up.refresh_from_db()
    waiting.refresh_from_db()
    assert waiting.state == OutboundState.PENDING
    assert follow_up.state == OutboundState.PENDING, (
        f"the newer message {follow_up.pk} went out ({follow_up.state}) before the waiting order {waiting.pk}; queued {queued}"
    )
    assert queued == [(BATCH_TASK, ("hot",), "hot")]

    # Once the waiting order is due, the batch task sends both, the older first.
    OutboundMessage.objects.filter(pk=waiting.pk).update(next_attempt_at=timezone.now())
    deliver_due_messages("hot", requeue=False)
    delivered = OutboundMessage.objects.filter(pk__in=[waiting.pk, follow_up.pk], state=OutboundState.DELIVERED)
    assert list(delivered.order_by("delivered_at", "pk").values_list("pk", flat=True)) == [waiting.pk, follow_up.pk]
