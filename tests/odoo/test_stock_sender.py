"""The stock loop's sender thread: it sends due stock beside the Odoo reads, which leave sending to it."""

import threading
import time
from decimal import Decimal

import pytest
from django.db import transaction

from catalog.models import Product, Warehouse
from catalog.services import availability, stock
from integrations.domains import Domain
from integrations.models import OutboundMessage, OutboundState
from integrations.odoo import tasks
from integrations.odoo.tasks import StockSender, poll_once
from integrations.sandbox.odoo import seed
from integrations.services.batches import sending_loop_runs
from tests.odoo.conftest import make_odoo_connection
from tests.odoo.helpers import install_recording_shop, make_pair, make_product


def queue_stock(sku, on_hand):
    """Record a stock figure in the ledger and return its pending stock message to the shop."""
    product = Product.objects.create(sku=sku)
    warehouse, _created = Warehouse.objects.get_or_create(code="wh", defaults={"name": "wh"})
    with transaction.atomic():
        stock.record_on_hand(product, warehouse, on_hand)
        availability.publish_availability([product.pk])
    return OutboundMessage.objects.get(entity=Domain.STOCK, object_id=str(product.pk))


def wait_until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


@pytest.mark.django_db(transaction=True)
def test_sender_sends_due_stock_until_stopped():
    shop = install_recording_shop()
    erp = make_odoo_connection()
    make_pair(erp)
    message = queue_stock("SND-1", 6)
    sender = StockSender(erp.pk, interval=0.05)

    sender.start()
    try:
        delivered = wait_until(lambda: OutboundMessage.objects.get(pk=message.pk).state == OutboundState.DELIVERED)
        announced = sending_loop_runs(Domain.STOCK)
    finally:
        sender.stop(timeout=10)

    assert delivered
    assert announced
    assert shop.shown["SND-1"] == [Decimal("6")]
    assert not sender.is_alive()


@pytest.mark.django_db(transaction=True)
def test_woken_sender_sends_before_interval():
    shop = install_recording_shop()
    erp = make_odoo_connection()
    make_pair(erp)
    sender = StockSender(erp.pk, interval=60)
    sender.start()
    try:
        # The first send finds nothing. The next one is due in a minute unless the sender is woken.
        assert wait_until(lambda: sending_loop_runs(Domain.STOCK))
        time.sleep(0.5)
        message = queue_stock("SND-WAKE", 4)
        sender.wake()
        delivered = wait_until(lambda: OutboundMessage.objects.get(pk=message.pk).state == OutboundState.DELIVERED)
    finally:
        sender.stop(timeout=10)

    assert delivered
    assert shop.shown["SND-WAKE"] == [Decimal("4")]
    assert not sender.is_alive()


@pytest.mark.django_db(transaction=True)
def test_sender_backs_off_and_recovers(monkeypatch):
    install_recording_shop()
    erp = make_odoo_connection()
    make_pair(erp)
    calls = []

    def failing_once():
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return {}

    monkeypatch.setattr(tasks, "push_stock_messages", failing_once)
    monkeypatch.setattr(tasks, "SENDER_BACKOFF_SECONDS", 0.3)
    sender = StockSender(erp.pk, interval=0.05)

    sender.start()
    try:
        recovered = wait_until(lambda: len(calls) >= 3)
    finally:
        sender.stop(timeout=10)

    assert recovered
    # The failed send is followed by the back-off wait, not by the normal interval.
    assert calls[1] - calls[0] >= 0.3
    assert not sender.is_alive()


@pytest.mark.django_db
def test_loop_step_leaves_sending_to_sender(sandbox):
    install_recording_shop()
    erp = make_odoo_connection()
    make_pair(erp)
    make_product("SND-2", on_hand=0, odoo_quantity=3)
    seed.set_stock("SND-2", 8)

    counts = poll_once(erp.pk, [Domain.STOCK], push=False)

    assert counts == {Domain.STOCK: 1}
    message = OutboundMessage.objects.get(entity=Domain.STOCK, object_id=str(Product.objects.get(sku="SND-2").pk))
    assert message.state == OutboundState.PENDING
    assert message.payload["available"] == "8"


@pytest.mark.django_db(transaction=True)
def test_stock_loop_sends_through_sender(sandbox, monkeypatch):
    shop = install_recording_shop()
    erp = make_odoo_connection()
    make_pair(erp)
    make_product("SND-LOOP", on_hand=0, odoo_quantity=3)
    seed.set_stock("SND-LOOP", 5)
    successors = []
    monkeypatch.setattr(tasks, "async_task", lambda *args, **kwargs: successors.append(args))

    outcome = tasks.poll_loop(erp.pk, seconds=2, kind=tasks.STOCK_LOOP)

    assert outcome == "continued"
    assert shop.shown["SND-LOOP"][-1] == Decimal("5")
    assert successors == [(tasks.POLL_TASK, erp.pk, None, tasks.STOCK_LOOP)]
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("odoo-stock-sender")]
