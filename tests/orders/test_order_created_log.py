import logging

import pytest
from django.db import transaction

from orders.models import Order
from orders.services import create_order, create_orders
from tests.orders.test_order_service import make_channel, make_product, order_input

pytestmark = pytest.mark.django_db


class RolledBack(Exception):
    pass


def created_records(caplog):
    return [record for record in caplog.records if record.getMessage() == "Order created"]


def test_committed_order_logged_with_fields(caplog, django_capture_on_commit_callbacks):
    channel = make_channel()
    make_product()
    caplog.set_level(logging.INFO, logger="orders.services")

    with django_capture_on_commit_callbacks(execute=True):
        result = create_order(order_input(channel, number="RACE-1"), actor="test")

    [record] = created_records(caplog)
    assert record.order_id == result.order.pk
    assert record.channel == "shop-de"
    assert record.external_number == "RACE-1"


def test_rolled_back_order_not_logged(caplog, django_capture_on_commit_callbacks):
    channel = make_channel()
    make_product()
    caplog.set_level(logging.INFO, logger="orders.services")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RolledBack):
        # As the order API does when its stock check fails after create_order.
        with transaction.atomic():
            create_order(order_input(channel, number="RACE-3"), actor="test")
            raise RolledBack

    assert not Order.objects.filter(external_number="RACE-3").exists()
    assert created_records(caplog) == []


def test_rolled_back_batch_not_logged(caplog, django_capture_on_commit_callbacks):
    channel = make_channel()
    make_product()
    caplog.set_level(logging.INFO, logger="orders.services")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RolledBack):
        with transaction.atomic():
            create_orders([order_input(channel, number="RACE-4")], actor="test")
            raise RolledBack

    assert created_records(caplog) == []
