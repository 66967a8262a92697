"""A loop that announces it sends a domain's messages takes over their delivery from lane tasks."""

import pytest
from django.core.cache import cache
from django.db import transaction

from catalog.models import Warehouse
from integrations.models import OutboundMessage, OutboundState
from integrations.services.batches import BATCH_TASK, announce_sending_loop, sending_loop_runs
from integrations.services.outbox import enqueue_outbound

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_announcements():
    cache.clear()
    yield
    cache.clear()


def test_announced_domain_queues_no_lane_task(shop, queued, django_capture_on_commit_callbacks):
    # Given a loop that sends stock
    warehouse = Warehouse.objects.create(code="W1", name="Main")
    announce_sending_loop(["stock"], 2)

    # When stock and a product change are queued
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            (stock_message,) = enqueue_outbound(warehouse, "stock", {"sku": "W1", "quantity": 3})
            enqueue_outbound(warehouse, "products", {"name": "Main"})

    # Then only the product's lane gets a task, and the stock message is due for the loop to send
    assert queued == [(BATCH_TASK, ("master",), "master")]
    assert sending_loop_runs("stock") is True
    assert sending_loop_runs("products") is False
    assert OutboundMessage.objects.get(pk=stock_message.pk).state == OutboundState.PENDING
    assert [message.pk for message in OutboundMessage.objects.filter(entity="stock")] == [stock_message.pk]


def test_unannounced_domain_queues_lane_task(shop, queued, django_capture_on_commit_callbacks):
    warehouse = Warehouse.objects.create(code="W1", name="Main")
    announce_sending_loop(["prices"], 2)

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            enqueue_outbound(warehouse, "stock", {"sku": "W1", "quantity": 3})

    assert queued == [(BATCH_TASK, ("hot",), "hot")]
