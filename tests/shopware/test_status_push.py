"""A status that the ERP or a person sets reaches the shop the order came from, and only that shop.

The shop shows its customer the order's state. A trial found confirmed orders still "open" in
the shop and an order cancelled in the admin still open there, because a status change queued
nothing for the shop; only shipments were pushed.
"""

import pytest

from integrations.models import Connection, OutboundMessage, OutboundState
from integrations.odoo.routes import set_up_shop_and_erp
from integrations.sandbox import store
from integrations.services.delivery import deliver_message
from integrations.shopware.tasks import push_catalog
from orders.models import Order, OrderStatus
from orders.services import confirm_new_orders, transition_order
from tests.shopware.test_orders import place_in_shop, process_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def erp(connection):
    erp = Connection.objects.create(kind="odoo", name="Odoo", slug="odoo", base_url="http://odoo.invalid")
    set_up_shop_and_erp(connection, erp)
    return erp


@pytest.fixture
def shop_order(sandbox, connection, erp, make_product, django_capture_on_commit_callbacks):
    make_product("SW-9", on_hand=10)
    push_catalog(connection.pk)
    with django_capture_on_commit_callbacks(execute=True):
        placed = place_in_shop("SW-9")
    process_all()
    return Order.objects.get(), placed


def status_messages(connection):
    return list(OutboundMessage.objects.filter(connection=connection, entity="orders").order_by("pk"))


def test_erp_confirmation_reaches_shop(shop_order, connection, erp):
    order, placed = shop_order

    confirm_new_orders({order.pk: "S00042"}, actor="odoo connector", connection=erp)

    (message,) = status_messages(connection)
    assert message.payload == {"order_id": order.pk, "number": order.external_number, "status": "confirmed"}
    assert OutboundMessage.objects.filter(connection=erp, entity="orders").count() == 1
    assert deliver_message(message.pk) == OutboundState.DELIVERED
    assert store.get("shopware", "order", placed["id"])["stateMachineState"]["technicalName"] == "in_progress"


def test_admin_cancellation_reaches_shop(shop_order, connection):
    order, placed = shop_order

    transition_order(order.pk, OrderStatus.CANCELLED, actor="admin")

    (message,) = status_messages(connection)
    assert message.payload["status"] == "cancelled"
    assert deliver_message(message.pk) == OutboundState.DELIVERED
    assert store.get("shopware", "order", placed["id"])["stateMachineState"]["technicalName"] == "cancelled"


def test_shop_own_change_not_echoed(shop_order, connection):
    order, _placed = shop_order

    transition_order(order.pk, OrderStatus.CONFIRMED, actor="shop", connection=connection)

    assert status_messages(connection) == []
