import uuid

import pytest
import responses
from django.db import IntegrityError, transaction

from catalog.models import Warehouse
from integrations.models import Direction, OutboundMessage, OutboundState
from integrations.services.delivery import deliver_message
from integrations.services.outbox import OutsideTransaction, enqueue_outbound
from tests.integrations.framework.conftest import BASE_URL, make_connection

pytestmark = pytest.mark.django_db


def change_stock(record, quantity, origin=None):
    with transaction.atomic():
        return enqueue_outbound(record, "stock", {"sku": record.code, "quantity": quantity}, origin=origin)


def test_one_message_per_subscribed_connection(shop, erp, queued, django_capture_on_commit_callbacks):
    make_connection("reader", entities=("stock",), direction=Direction.IN)
    make_connection("off", entities=("stock",), enabled=False)
    warehouse = Warehouse.objects.create(code="W1", name="Main")

    with django_capture_on_commit_callbacks(execute=True):
        messages = change_stock(warehouse, 5, origin=erp)

    assert [message.connection.slug for message in messages] == ["shop"]
    message = OutboundMessage.objects.get()
    assert message.entity == "stock"
    assert message.lane == "hot"
    assert message.payload == {"sku": "W1", "quantity": 5}
    assert message.state == OutboundState.PENDING
    assert len(message.idempotency_key) == 32
    assert queued == [("integrations.tasks.deliver_due_messages", ("hot",), "hot")]


def test_products_go_to_master_lane(shop):
    warehouse = Warehouse.objects.create(code="W1", name="Main")

    with transaction.atomic():
        enqueue_outbound(warehouse, "products", {"name": "Main"})

    assert OutboundMessage.objects.get().lane == "master"


def test_rollback_after_outbox_write_leaves_neither(shop):
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            warehouse = Warehouse.objects.create(code="W9", name="Rolled back")
            enqueue_outbound(warehouse, "stock", {"sku": "W9", "quantity": 1})
            raise RuntimeError("worker crashed after the outbox write")

    assert not Warehouse.objects.filter(code="W9").exists()
    assert OutboundMessage.objects.count() == 0


def test_failed_outbox_write_rolls_back_change(shop, erp, monkeypatch):
    # Both connections get the same idempotency key, so the second outbox insert fails.
    fixed = uuid.UUID("00000000000000000000000000000001")
    monkeypatch.setattr("integrations.services.outbox.uuid.uuid4", lambda: fixed)

    with pytest.raises(IntegrityError):
        with transaction.atomic():
            warehouse = Warehouse.objects.create(code="W9", name="Half written")
            enqueue_outbound(warehouse, "stock", {"sku": "W9", "quantity": 1})

    assert not Warehouse.objects.filter(code="W9").exists()
    assert OutboundMessage.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_enqueue_outside_transaction_rejected():
    make_connection("shop")
    warehouse = Warehouse.objects.create(code="W1", name="Main")

    with pytest.raises(OutsideTransaction):
        enqueue_outbound(warehouse, "stock", {"sku": "W1", "quantity": 1})

    assert OutboundMessage.objects.count() == 0


@responses.activate
def test_coalescing_sends_last_of_ten_stock_changes(shop):
    warehouse = Warehouse.objects.create(code="W1", name="Main")
    remote = responses.put(f"{BASE_URL}/stock/{warehouse.pk}", json={}, status=200)
    for quantity in range(1, 11):
        change_stock(warehouse, quantity)

    for message in OutboundMessage.objects.order_by("pk"):
        deliver_message(message.pk)

    assert remote.call_count == 1
    assert responses.calls[0].request.body == b'{"sku": "W1", "quantity": 10}'
    states = list(OutboundMessage.objects.order_by("pk").values_list("state", flat=True))
    assert states == [OutboundState.SUPERSEDED] * 9 + [OutboundState.DELIVERED]


def test_master_data_not_coalesced(shop):
    warehouse = Warehouse.objects.create(code="W1", name="Main")

    with transaction.atomic():
        enqueue_outbound(warehouse, "products", {"name": "A"})
        enqueue_outbound(warehouse, "products", {"name": "B"})

    assert list(OutboundMessage.objects.values_list("state", flat=True)) == [OutboundState.PENDING] * 2
