"""The stock loop applies pulled stock itself, so it queues no processing task per quant."""

from decimal import Decimal

import pytest

from catalog.models import StockLevel
from integrations.domains import Domain
from integrations.models import InboundEvent, InboundState
from integrations.odoo.tasks import poll_once
from integrations.sandbox.odoo import seed
from integrations.services import queue
from integrations.services.inbox import PROCESS_TASK
from tests.odoo.conftest import make_odoo_connection
from tests.odoo.helpers import install_recording_shop, make_pair, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    """Record the tasks sent to the lanes as (function path, arguments) instead of sending them."""
    sent = []
    monkeypatch.setattr(queue, "async_task", lambda func_path, *args, cluster: sent.append((func_path, args)))
    return sent


def test_stock_loop_queues_no_event_tasks(sandbox, queued, django_capture_on_commit_callbacks):
    # Given two products whose stock Odoo changes
    install_recording_shop()
    erp = make_odoo_connection()
    make_pair(erp)
    make_product("CAM-1", on_hand=0, odoo_quantity=7)
    make_product("LENS-1", on_hand=0, odoo_quantity=3)
    seed.set_stock("CAM-1", 4)
    seed.set_stock("LENS-1", 1)

    # When the stock loop takes one step
    with django_capture_on_commit_callbacks(execute=True):
        counts = poll_once(erp.pk, [Domain.STOCK])

    # Then it applied both events itself, and no task was queued to process them again
    events = InboundEvent.objects.filter(entity="stock")
    assert counts[Domain.STOCK] == 2
    assert sorted(events.values_list("payload__sku", "state")) == [("CAM-1", InboundState.PROCESSED), ("LENS-1", InboundState.PROCESSED)]
    assert [args for func_path, args in queued if func_path == PROCESS_TASK] == []
    levels = StockLevel.objects.filter(warehouse__code=f"{erp.slug}-wh")
    assert sorted(levels.values_list("product__sku", "on_hand")) == [("CAM-1", Decimal(4)), ("LENS-1", Decimal(1))]


def test_webhook_events_still_queue_their_task(queued, django_capture_on_commit_callbacks):
    # Given an event stored the default way, as webhooks store them
    from integrations.models import Connection, InboundSource
    from integrations.registry import InboundItem
    from integrations.services.inbox import store_inbound_items

    connection = Connection.objects.create(kind="shopware", name="Shop", slug="shop")

    # When it is stored
    with django_capture_on_commit_callbacks(execute=True):
        ids = store_inbound_items(connection, [InboundItem(entity="orders", external_id="1", dedup_key="order:1", payload={"id": "1"})], source=InboundSource.WEBHOOK)

    # Then one processing task is queued for it
    assert [args for func_path, args in queued if func_path == PROCESS_TASK] == [(ids[0],)]


def test_orders_loop_applies_states_queues_documents(sandbox, queued, django_capture_on_commit_callbacks):
    # Given an order that Odoo has and that Odoo then cancels and invoices
    from integrations.sandbox.odoo.views import run_control_action
    from integrations.services.delivery import deliver_message
    from orders.models import OrderStatus
    from tests.odoo.helpers import line, order_message, place_order

    install_recording_shop()
    erp = make_odoo_connection()
    channel, shop = make_pair(erp)
    make_product("CAM-1", on_hand=5, odoo_quantity=5)
    order = place_order(channel, shop, "60001", [line("CAM-1")])
    deliver_message(order_message(order, erp).pk)
    run_control_action({"action": "invoice", "sale_order": "60001"})
    run_control_action({"action": "cancel", "sale_order": "60001"})

    # When the orders loop takes one step
    with django_capture_on_commit_callbacks(execute=True):
        poll_once(erp.pk, [Domain.ORDERS])

    # Then the sale order's state is applied in the step, and only the invoice waits for a task
    order.refresh_from_db()
    events = InboundEvent.objects.filter(connection=erp, entity="orders")
    assert order.status == OrderStatus.CANCELLED
    assert set(events.filter(event_type="sale.order").values_list("state", flat=True)) == {InboundState.PROCESSED}
    invoice_events = list(events.filter(event_type="account.move").values_list("pk", "state"))
    assert [state for _pk, state in invoice_events] == [InboundState.PENDING]
    assert [args for func_path, args in queued if func_path == PROCESS_TASK] == [(invoice_events[0][0],)]


def test_orders_wait_for_running_orders_loop(sandbox, queued, django_capture_on_commit_callbacks):
    # Given an Odoo connection whose orders loop runs
    from django.core.cache import cache
    from django.utils import timezone

    from integrations.models import OutboundMessage, OutboundState
    from integrations.odoo.tasks import ORDERS_LOOP, _lock_key
    from integrations.services.batches import deliver_due_messages
    from tests.odoo.helpers import line, order_message, place_order, sale_orders

    install_recording_shop()
    erp = make_odoo_connection()
    channel, shop = make_pair(erp)
    make_product("CAM-1", on_hand=5, odoo_quantity=5)
    cache.set(_lock_key(erp.pk, ORDERS_LOOP), "running", 30)

    # When two shop orders come in and the lane's batch task runs at once
    before = timezone.now()
    first = place_order(channel, shop, "70001", [line("CAM-1")])
    second = place_order(channel, shop, "70002", [line("CAM-1")])
    deliver_due_messages("hot")

    # Then their Odoo messages wait about a second, and Odoo has no sale order yet
    messages = [order_message(order, erp) for order in (first, second)]
    assert all(message.state == OutboundState.PENDING for message in messages)
    assert all(0.5 < (message.next_attempt_at - before).total_seconds() < 5 for message in messages)
    assert sale_orders("70001") == []

    # And once they are due, one orders loop step sends both in one batch
    OutboundMessage.objects.filter(pk__in=[message.pk for message in messages]).update(next_attempt_at=timezone.now())
    counts = poll_once(erp.pk, [Domain.ORDERS])
    assert counts["sent"]["delivered"] == 2
    assert [len(sale_orders(number)) for number in ("70001", "70002")] == [1, 1]
    cache.delete(_lock_key(erp.pk, ORDERS_LOOP))


def test_orders_sent_at_once_without_loop(sandbox):
    from django.utils import timezone

    from tests.odoo.helpers import line, order_message, place_order

    install_recording_shop()
    erp = make_odoo_connection()
    channel, shop = make_pair(erp)
    make_product("CAM-1", on_hand=5, odoo_quantity=5)

    order = place_order(channel, shop, "70003", [line("CAM-1")])

    assert order_message(order, erp).next_attempt_at <= timezone.now()
