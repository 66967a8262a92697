"""The order in which a backlog of shop orders reaches Odoo after an outage.

bench/fault_drill.py found the 551 orders placed during a 60-second Odoo outage created in Odoo in
no useful order: 80,156 of their 151,525 pairs were inverted. While the circuit breaker is open, every claimed
order message is handed back until the breaker lets a probe through, so its next attempt is the
breaker's reopening time. A message written later and not claimed before Odoo returns keeps its
first due time, which is earlier, and the claim takes the earliest due time first. The handed-back
times also differ by microseconds (claim time plus the breaker's remaining seconds, read from two
clocks), so even the handed-back messages do not go in the order they were written.

With the oldest message claimed first, 13 % of the pairs were still inverted: two workers claimed
two batches of orders at once and sent them side by side. Orders to Odoo are now one stream per
connection, with one batch in flight at a time.
"""

from datetime import timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from integrations.errors import Unavailable, ValidationFailed
from integrations.models import OutboundMessage, OutboundState
from integrations.odoo.push import _behind_unreachable_odoo
from integrations.sandbox import faults
from integrations.services.batches import BATCH_SIZE, claim_due_messages, deliver_due_messages
from integrations.services.clients import circuit_breaker_for
from tests.breakbatch.helpers import run_in_threads
from tests.odoo.helpers import (
    line,
    make_erp_and_shop,
    order_message,
    place_order,
    sale_orders,
)

pytestmark = pytest.mark.django_db

BREAKER_PAUSE = timedelta(seconds=61)


def _place(channel, shop, number):
    return place_order(channel, shop, number, [line("CAM-1", 1)], email=f"{number}@example.com")


def test_backlog_reaches_odoo_in_placement_order(sandbox):
    erp, channel, shop = make_erp_and_shop()

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


def _three_orders():
    erp, channel, shop = make_erp_and_shop()
    orders = [_place(channel, shop, number) for number in ("61001", "61002", "61003")]
    return erp, [order_message(order, erp).pk for order in orders]


def _claim_orders(limit=BATCH_SIZE):
    return [message.pk for message in claim_due_messages("hot", limit=limit, entities=("orders",))]


def _claim_orders_in_thread():
    """Claim from another thread, which has its own database connection, as a second worker does."""
    [claimed] = run_in_threads(_claim_orders)
    return claimed


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_batch_of_orders_in_flight(sandbox):
    erp, message_ids = _three_orders()

    # The first claimer's transaction is still open while a second worker claims.
    with transaction.atomic():
        first = _claim_orders(limit=1)
        during_first_claim = _claim_orders_in_thread()
    # The first batch is in flight now, so the next orders wait until it is finished.
    while_in_flight = _claim_orders_in_thread()
    OutboundMessage.objects.filter(pk__in=first).update(state=OutboundState.DELIVERED, lease_expires_at=None)
    after_first_batch = _claim_orders_in_thread()

    assert first == message_ids[:1]
    assert during_first_claim == []
    assert while_in_flight == []
    assert after_first_batch == message_ids[1:]


def test_waiting_order_holds_back_newer_orders(sandbox):
    erp, message_ids = _three_orders()
    oldest = OutboundMessage.objects.get(pk=message_ids[0])

    # The oldest order was handed back unsent and waits for its next attempt.
    oldest.next_attempt_at = timezone.now() + timedelta(minutes=1)
    oldest.save(update_fields=["next_attempt_at"])
    behind_waiting = _claim_orders()

    # It failed instead: the others go on while it waits for its retry.
    oldest.last_error = "Odoo rejected the order"
    oldest.save(update_fields=["last_error"])
    behind_failed = _claim_orders()

    assert behind_waiting == []
    assert behind_failed == message_ids[1:]


def test_stock_goes_on_while_orders_wait(sandbox):
    erp, message_ids = _three_orders()
    OutboundMessage.objects.filter(pk=message_ids[0]).update(next_attempt_at=timezone.now() + timedelta(minutes=1))
    stock_messages = set(
        OutboundMessage.objects.filter(lane="hot", state=OutboundState.PENDING).exclude(entity="orders").values_list("pk", flat=True)
    )

    claimed = {message.pk for message in claim_due_messages("hot")}

    assert stock_messages
    assert claimed == stock_messages


def test_sync_push_keeps_waiting_order_first(sandbox):
    erp, message_ids = _three_orders()
    OutboundMessage.objects.filter(pk=message_ids[0]).update(next_attempt_at=timezone.now() + timedelta(minutes=1))

    call_command("sync", erp.slug, "--direction", "push", "--entity", "orders", stdout=StringIO(), stderr=StringIO())

    states = dict(OutboundMessage.objects.filter(pk__in=message_ids).values_list("pk", "state"))
    assert states == {pk: OutboundState.PENDING for pk in message_ids}
    assert sale_orders("61002") == []


@pytest.mark.parametrize(
    ("code", "holds"),
    [
        ("unavailable", True),
        ("timeout", True),
        ("connection_failed", True),
        ("rate_limited", True),
        ("server_error", False),
        ("conflict", False),
        ("validation_failed", False),
    ],
)
def test_failure_code_decides_stream_wait(sandbox, code, holds):
    erp, message_ids = _three_orders()

    # The oldest order failed with `code` and waits a minute for its next attempt.
    OutboundMessage.objects.filter(pk=message_ids[0]).update(
        next_attempt_at=timezone.now() + timedelta(minutes=1), last_error=f"failed with {code}", error_code=code, attempts=1
    )
    claimed = _claim_orders()

    assert claimed == ([] if holds else message_ids[1:])


def test_orders_failed_by_outage_keep_their_place(sandbox):
    erp, channel, shop = make_erp_and_shop()
    older = [_place(channel, shop, number) for number in ("62001", "62002", "62003")]

    # Odoo returns HTTP 503 for the batch of the three orders.
    faults.update_faults("odoo", {"server_error_percent": 100, "server_error_status": 503})
    before = timezone.now()
    counts = deliver_due_messages("hot", entities=("orders",))
    failed = [order_message(order, erp) for order in older]

    # A newer order arrives while they wait for their next attempt; Odoo is back.
    newer = _place(channel, shop, "62004")
    faults.reset_faults("odoo")
    while_waiting = _claim_orders()
    OutboundMessage.objects.filter(entity="orders").update(next_attempt_at=timezone.now())
    deliver_due_messages("hot", entities=("orders",))

    assert counts == {"retry": 3}
    assert {(message.state, message.error_code) for message in failed} == {(OutboundState.PENDING, "unavailable")}
    # One retry time for the batch, within the held stream's first wait of at most 2 s.
    [retry_at] = {message.next_attempt_at for message in failed}
    assert before <= retry_at <= timezone.now() + timedelta(seconds=2)
    assert while_waiting == []
    numbers = [order.external_number for order in [*older, newer]]
    sale_order_ids = [sale_orders(number)[0]["id"] for number in numbers]
    assert sale_order_ids == sorted(sale_order_ids), f"sale order ids by shop order number {dict(zip(numbers, sale_order_ids, strict=True))}"


def test_orders_behind_unreachable_odoo_skipped():
    orders = [SimpleNamespace(pk=pk) for pk in (1, 2, 3, 4)]
    rejected = ValidationFailed("Odoo raised ValidationError", status=200)
    unreachable = Unavailable("POST /json/2/res.country/search_read returned HTTP 503", status=503)

    failures = {1: rejected, 2: unreachable}
    blocked = _behind_unreachable_odoo(orders, failures)

    assert [order.pk for order in blocked] == [3, 4]
    assert failures == {1: rejected, 2: unreachable, 3: unreachable, 4: unreachable}
