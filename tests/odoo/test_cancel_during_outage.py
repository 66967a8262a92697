"""A shop cancellation while Odoo is down withdraws the order, unless an attempt may have reached Odoo.

Found in a trial: orders cancelled in the shop while Odoo responded with 503 became conflicts, because
their messages had failed attempts, and went to Odoo after the outage. Every attempt had been
turned away (503, then Kontor's open breaker), so Odoo never had them.
"""

import re
from datetime import timedelta

import pytest
import requests
import responses
from django.utils import timezone

from integrations.http import recording_sends
from integrations.models import Conflict, OutboundMessage, OutboundState
from integrations.odoo.client import OdooClient
from integrations.sandbox import faults
from integrations.sandbox.odoo import seed
from integrations.sandbox.testing import route_to_django
from integrations.services.batches import deliver_due_messages
from integrations.services.delivery import deliver_message
from orders.models import OrderStatus
from orders.services import cancel_before_leader_has_it
from tests.odoo.conftest import make_odoo_connection
from tests.odoo.helpers import (
    line,
    make_pair,
    make_product,
    order_message,
    place_order,
    sale_orders,
)
from tests.odoo.test_stock_and_status import settle

pytestmark = pytest.mark.django_db


def place_waiting_order():
    """Return a shop order whose message to the sandbox Odoo waits to be sent, and the Odoo connection."""
    erp = make_odoo_connection()
    channel, shop = make_pair(erp)
    make_product("CAM-1", on_hand=5, odoo_quantity=5)
    settle(erp)
    order = place_order(channel, shop, "30011", [line("CAM-1", 2, gross="23.80", net="20.00", tax="3.80")])
    return order, erp


@pytest.fixture
def waiting_order(sandbox):
    return place_waiting_order()


def failing_first_create(failure):
    """Route the sandbox with the first Odoo create of any model failing with `failure`, the reads passing."""
    rsps = responses.RequestsMock(assert_all_requests_are_fired=False)
    # responses serves the first matching rule once and then drops it, so only one create fails.
    rsps.add_callback(responses.POST, re.compile(r".*/sandbox/odoo/json/2/[^/]+/create$"), callback=lambda request: failure)
    route_to_django(rsps)
    return rsps


def deliver_alone(message):
    deliver_message(message.pk)


def deliver_in_batch(message):
    # The path of the hot lane's workers and of the ordered order stream.
    deliver_due_messages(message.lane, entities=["orders"], requeue=False)


def try_while_down(order, erp, fault, attempts, deliver=deliver_alone):
    """Deliver the order's message `attempts` times with `fault` switched on; return the message."""
    faults.update_faults("odoo", fault)
    message = order_message(order, erp)
    for _attempt in range(attempts):
        OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        deliver(message)
    faults.reset_faults("odoo")
    message.refresh_from_db()
    return message


def cancel_in_shop(order, erp):
    return cancel_before_leader_has_it(order.pk, erp, actor="test shop", note="Cancelled in the shop")


@pytest.mark.parametrize("deliver", [deliver_alone, deliver_in_batch])
def test_cancel_after_outage_only_withdraws(waiting_order, deliver):
    order, erp = waiting_order
    # Enough 503s to open the breaker, after which attempts are handed back unsent.
    message = try_while_down(order, erp, {"server_error_percent": 100, "server_error_status": 503}, attempts=8, deliver=deliver)
    assert (message.state, message.error_code, message.may_have_reached) == (OutboundState.PENDING, "circuit_open", False)

    change = cancel_in_shop(order, erp)

    assert change is not None
    order.refresh_from_db()
    message.refresh_from_db()
    assert (order.status, message.state) == (OrderStatus.CANCELLED, OutboundState.WITHDRAWN)
    assert Conflict.objects.count() == 0
    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert deliver_message(message.pk) is None
    assert sale_orders("30011") == []


@pytest.mark.parametrize("deliver", [deliver_alone, deliver_in_batch])
@pytest.mark.parametrize(
    ("failure", "reached"),
    [
        # Odoo turned the create away: nothing was written, although the reads before it went through.
        ((503, {}, b'{"error": "unavailable"}'), False),
        # Odoo failed while working on it: the record may exist.
        ((500, {}, b'{"error": "internal"}'), True),
        # No response in time: Odoo may have created it before the client gave up.
        (requests.ReadTimeout("read timed out"), True),
    ],
)
def test_cancel_after_failed_create(failure, reached, deliver):
    with failing_first_create(failure):
        seed.ensure_seeded()
        order, erp = place_waiting_order()
        message = try_while_down(order, erp, {}, attempts=1, deliver=deliver)
        assert (message.state, message.may_have_reached) == (OutboundState.PENDING, reached)

        change = cancel_in_shop(order, erp)

    order.refresh_from_db()
    message.refresh_from_db()
    if reached:
        assert change is None
        assert (order.status, message.state) == (OrderStatus.NEW, OutboundState.PENDING)
    else:
        assert change is not None
        assert (order.status, message.state) == (OrderStatus.CANCELLED, OutboundState.WITHDRAWN)
    assert sale_orders("30011") == []


@pytest.mark.parametrize("deliver", [deliver_alone, deliver_in_batch])
def test_delivered_message_marked_reached(waiting_order, deliver):
    order, erp = waiting_order

    message = try_while_down(order, erp, {}, attempts=1, deliver=deliver)

    assert (message.state, message.may_have_reached) == (OutboundState.DELIVERED, True)


@pytest.mark.parametrize("version", ["19.0", "16.0"])
def test_odoo_reads_not_noted_as_sends(sandbox, version):
    # Odoo sends every call as a POST; its reads cannot have created an order.
    client = OdooClient(make_odoo_connection(version=version))

    with recording_sends() as writes:
        partner_id = client.create("res.partner", {"name": "Ada Buyer"})
    with recording_sends() as reads:
        client.search_read("res.partner", [["id", "=", partner_id]], ["name"], limit=1)
        client.read("res.partner", [partner_id], ["name"])

    assert reads.may_have_reached is False
    assert writes.may_have_reached is True


@pytest.mark.parametrize("deliver", [deliver_alone, deliver_in_batch])
def test_cancel_after_dead_worker_conflicts(waiting_order, deliver):
    order, erp = waiting_order
    message = order_message(order, erp)
    # Claimed by a worker that died: still in flight, lease expired.
    OutboundMessage.objects.filter(pk=message.pk).update(
        state=OutboundState.IN_FLIGHT, attempts=1, lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    message = try_while_down(order, erp, {"server_error_percent": 100, "server_error_status": 503}, attempts=1, deliver=deliver)
    assert (message.state, message.may_have_reached) == (OutboundState.PENDING, True)

    assert cancel_in_shop(order, erp) is None
