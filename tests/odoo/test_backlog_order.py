"""The order in which a backlog of shop orders reaches Odoo after an outage.

bench/fault_drill.py found the 551 orders placed during a 60-second Odoo outage created in Odoo in
no useful order: 80,156 of their 151,525 pairs were inverted. While the circuit breaker is open, every claimed
order message is handed back until the breaker lets a probe through, so its next attempt is the
breaker's reopening time. A message written later and not claimed before Odoo returns keeps its
first due time, which is earlier, and the claim takes the earliest due time first. The handed-back
times also differ by microseconds (claim time plus the breaker's remaining seconds, read from two
clocks), so even the handed-back messages do not go in the order they were written.
"""

from datetime import timedelta

import pytest
from django.db.models import F

from catalog.models import Product, Warehouse
from catalog.services import stock
from integrations.models import OutboundMessage, OutboundState
from integrations.services.batches import deliver_due_messages
from integrations.services.clients import circuit_breaker_for
from tests.odoo.conftest import make_odoo_connection
from tests.odoo.helpers import (
    install_recording_shop,
    line,
    make_pair,
    make_product,
    order_message,
    place_order,
    sale_orders,
)

pytestmark = pytest.mark.django_db

BREAKER_PAUSE = timedelta(seconds=61)


def _place(channel, shop, number):
    return place_order(channel, shop, number, [line("CAM-1", 1)], email=f"{number}@example.com")


def test_backlog_reaches_odoo_in_placement_order(sandbox):
    install_recording_shop()
    erp = make_odoo_connection()
    channel, shop = make_pair(erp)
    make_product("CAM-1", on_hand=0, odoo_quantity=100)
    stock.record_on_hand(Product.objects.get(sku="CAM-1"), Warehouse.objects.get(code="wh"), 100)

    # Odoo is down: the breaker is open, and the orders placed so far are claimed and handed back.
    breaker = circuit_breaker_for(erp)
    for _failure in range(breaker.failure_threshold):
        breaker.record_failure()
    older = [_place(channel, shop, number) for number in ("60001", "60002", "60003")]
    deliver_due_messages("hot", entities=("orders",))
    assert {order_message(order, erp).state for order in older} == {OutboundState.PENDING}
    assert {order_message(order, erp).error_code for order in older} == {"circuit_open"}

    # One more order arrives before any worker claims it again.
    newer = _place(channel, shop, "60004")

    # Odoo is back and the breaker's pause has passed: every message is due.
    breaker.record_success()
    OutboundMessage.objects.filter(entity="orders").update(next_attempt_at=F("next_attempt_at") - BREAKER_PAUSE)
    deliver_due_messages("hot", entities=("orders",))

    numbers = [order.external_number for order in [*older, newer]]
    assert [len(sale_orders(number)) for number in numbers] == [1, 1, 1, 1]
    sale_order_ids = [sale_orders(number)[0]["id"] for number in numbers]
    assert sale_order_ids == sorted(sale_order_ids), f"sale order ids by shop order number {dict(zip(numbers, sale_order_ids, strict=True))}"
