import pytest
import responses
from django.conf import settings
from django.db import transaction
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.signing import SignedPackage

from catalog.models import Warehouse
from integrations.models import OutboundMessage, OutboundState
from integrations.services.outbox import enqueue_outbound
from integrations.tasks import deliver_due_messages
from tests.integrations.framework.conftest import BASE_URL

pytestmark = pytest.mark.django_db

needs_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis as the django-q2 broker")


@needs_redis
@responses.activate
def test_delivery_queued_on_hot_lane_broker_without_sync_mode(shop, django_capture_on_commit_callbacks):
    # Kontor never relies on django-q2's sync mode: the task goes to the lane's queue.
    assert not Conf.SYNC
    broker, master = get_broker("hot"), get_broker("master")
    broker.purge_queue()
    master.purge_queue()
    warehouse = Warehouse.objects.create(code="W1", name="Main")
    responses.put(f"{BASE_URL}/stock/{warehouse.pk}")

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            (message,) = enqueue_outbound(warehouse, "stock", {"sku": "W1", "quantity": 3})

    assert broker.queue_size() == 1
    task = SignedPackage.loads(broker.dequeue()[0][1])
    assert task["func"] == "integrations.tasks.deliver_due_messages"
    assert task["args"] == ("hot",)
    assert task["cluster"] == "hot"
    assert master.queue_size() == 0

    deliver_due_messages(*task["args"])

    assert OutboundMessage.objects.get(pk=message.pk).state == OutboundState.DELIVERED


def test_nothing_queued_when_transaction_rolls_back(shop, queued, django_capture_on_commit_callbacks):
    warehouse = Warehouse.objects.create(code="W1", name="Main")

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                enqueue_outbound(warehouse, "stock", {"sku": "W1", "quantity": 3})
                raise RuntimeError("rolled back")

    assert queued == []
