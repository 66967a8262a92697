"""Orders created together must give the same rows as the same events applied one by one.

Each test stores its events, runs them once as one batch and once one by one (both runs
rolled back after their state was read, see tests.shopware.test_order_set_batches) and
compares every row. The orderings mix events that the set takes with events it leaves out.
"""

import copy
from decimal import Decimal

import pytest

from catalog.models import ChannelStockBuffer, Product, StockLevel, Warehouse
from catalog.services import stock
from integrations.models import InboundEvent, SyncError
from integrations.services.inbox import process_inbound_batch, process_inbound_event
from integrations.services.syncruns import retry_sync_error
from integrations.shopware import webhooks
from orders.models import Order
from tests.breakbatch.helpers import malformed, pending_ids, place, store_placed, store_written
from tests.shopware.test_order_set_batches import state_after

pytestmark = pytest.mark.django_db


def compare(ids, calls, *, ignore=()):
    """Return (state after the batch, state after one by one); assert they contain the same rows."""
    in_batch = state_after(lambda: process_inbound_batch(ids[0]), calls)
    one_by_one = state_after(lambda: [process_inbound_event(event_id) for event_id in ids], calls)
    for key in in_batch.keys() - {"one_by_one", *ignore}:
        assert in_batch[key] == one_by_one[key], key
    return in_batch, one_by_one


def cancelled(order, **changes):
    """Return a copy of a shop order in state cancelled, with a new version and the given changes."""
    copied = copy.deepcopy(order)
    copied["stateMachineState"] = {**copied["stateMachineState"], "technicalName": "cancelled"}
    copied["updatedAt"] = "2026-02-02T00:00:00.000+00:00"
    copied.update(changes)
    return copied


def event_id_of(order, event="checkout.order.placed"):
    return InboundEvent.objects.get(dedup_key=webhooks.order_item(order, event).dedup_key).pk


def flags(state):
    return {row[0]: (row[2], row[3]) for row in state["orders"]}


def test_cancellation_without_lines_releases_before_later_order(shop, connection, per_event_calls):
    # A known order has reserved all 4 units of SET-3. Its cancellation arrives without line items
    # (a state event whose payload lacks the association), then a new order for SET-3.
    known = shop(lambda: place(["SET-3"], quantity=4))
    process_inbound_event(pending_ids()[0])
    store_placed(connection, cancelled(known, lineItems=[]))
    later = shop(lambda: place(["SET-3"], quantity=1))
    ids = pending_ids()

    in_batch, _one_by_one = compare(ids, per_event_calls)

    assert flags(in_batch)[later["orderNumber"]] == (False, "")
    assert ("SET-3", "main", Decimal(4), Decimal(1)) in in_batch["levels"]


def test_cancellation_with_edited_lines_releases_before_later_order(shop, connection, per_event_calls):
    # The order was edited in the shop after Kontor stored it: its cancellation names SET-1, but
    # Kontor releases the SET-3 units of the stored lines.
    known = shop(lambda: place(["SET-3"], quantity=4))
    process_inbound_event(pending_ids()[0])
    edited = shop(lambda: place(["SET-1"], quantity=1))
    InboundEvent.objects.filter(external_id=edited["id"]).delete()
    store_placed(connection, cancelled(known, lineItems=edited["lineItems"]))
    later = shop(lambda: place(["SET-3"], quantity=2))
    ids = pending_ids()

    in_batch, _one_by_one = compare(ids, per_event_calls)

    assert flags(in_batch)[later["orderNumber"]] == (False, "")


def test_cancellation_in_batch_names_other_lines(shop, connection, per_event_calls):
    # The first event creates the order with all SET-3, the second cancels it but names SET-2,
    # the third needs SET-3, which only the cancellation frees.
    first = shop(lambda: place(["SET-3"], quantity=4))
    other = shop(lambda: place(["SET-2"], quantity=1))
    InboundEvent.objects.filter(external_id=other["id"]).delete()
    store_placed(connection, cancelled(first, lineItems=other["lineItems"]))
    later = shop(lambda: place(["SET-3"], quantity=1))
    ids = pending_ids()

    in_batch, _one_by_one = compare(ids, per_event_calls)

    assert flags(in_batch)[later["orderNumber"]] == (False, "")
    assert dict((row[0], row[1]) for row in in_batch["orders"])[first["orderNumber"]] == "cancelled"


def test_cancelled_then_new_order_for_same_product(shop, connection, per_event_calls):
    known = shop(lambda: place(["SET-2"], quantity=4))
    process_inbound_event(pending_ids()[0])
    shop(lambda: place(["SET-1"], quantity=1))
    store_placed(connection, cancelled(known))
    later = shop(lambda: place(["SET-2"], quantity=4))
    ids = pending_ids()

    in_batch, _one_by_one = compare(ids, per_event_calls)

    assert flags(in_batch)[later["orderNumber"]] == (False, "")
    assert in_batch["one_by_one"] == ids[1:]


def test_order_written_for_order_of_same_batch(shop, connection, per_event_calls):
    placed = shop(lambda: place(["SET-1"], quantity=2))
    store_written(connection, placed["id"], "evt-same-batch")
    after = shop(lambda: place(["SET-1"], quantity=3))
    ids = pending_ids()

    in_batch, _one_by_one = compare(ids, per_event_calls)

    assert in_batch["one_by_one"] == ids[1:]
    assert [row[0] for row in in_batch["orders"]] == sorted([placed["orderNumber"], after["orderNumber"]])
    assert len(in_batch["order_messages"]) == 2


def test_left_out_and_taken_events_sharing_products(shop, connection, make_product, per_event_calls):
    # Left out: an unknown SKU (fails), totals that do not add up (fails), a duplicate number.
    # Each shares a product with a later order that the set must then leave out too, or not.
    first = shop(lambda: place(["SET-1", "SET-2"], quantity=2))
    unknown = malformed(first, 21)
    unknown["lineItems"][0]["payload"]["productNumber"] = "NOT-THERE"
    store_placed(connection, unknown)
    store_placed(connection, malformed(first, 22, amountTotal=1.00))
    duplicate = copy.deepcopy(first)
    duplicate["updatedAt"] = "2026-03-03T00:00:00.000+00:00"
    store_placed(connection, duplicate)
    shop(lambda: place(["SET-2"], quantity=2))
    shop(lambda: place(["SET-1"], quantity=3))
    shop(lambda: place(["SET-3", "SET-1"], quantity=1))
    ids = pending_ids()

    in_batch, _one_by_one = compare(ids, per_event_calls)

    assert sorted(row[2] for row in in_batch["sync_errors"]) == ["order_invalid", "order_invalid"]
    assert [(row[0], row[3]) for row in in_batch["levels"]] == [("SET-1", Decimal(5)), ("SET-2", Decimal(4)), ("SET-3", Decimal(1))]


@pytest.mark.parametrize("quantity", [0, -1, "0.0004", 123456789012, "1e30", "2.0005"])
def test_odd_quantities(shop, connection, per_event_calls, caplog, quantity):
    template = shop(lambda: place(["SET-1"], quantity=1))
    odd = malformed(template, 31)
    odd["lineItems"][0]["quantity"] = float(quantity) if isinstance(quantity, str) else quantity
    store_placed(connection, odd)
    shop(lambda: place(["SET-1"], quantity=4))
    ids = pending_ids()

    in_batch, _one_by_one = compare(ids, per_event_calls)

    # A quantity that the ledger cannot store is a clear validation error for that order alone.
    # The set does not fall back for it, and no bug is logged.
    events = {row[0]: row for row in in_batch["events"]}
    odd_event = events[webhooks.order_item(odd, "checkout.order.placed").dedup_key]
    if odd_event[1] == "failed":
        [sync_error] = in_batch["sync_errors"]
        assert sync_error[2] == "order_invalid", sync_error
        assert "quantity" in sync_error[3].lower(), sync_error
    assert in_batch["one_by_one"] == [event_id_of(odd)]
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


def test_catalog_and_channel_changes_after_the_webhook(shop, connection, channel, per_event_calls):
    # After the webhooks: SET-1 is deactivated, the channel stops selling EUR for a moment
    # (one run each), the main warehouse of SET-2 is closed, and SET-3 gets a channel buffer.
    shop(lambda: place(["SET-1"], quantity=1))
    shop(lambda: place(["SET-2"], quantity=1))
    shop(lambda: place(["SET-3"], quantity=4))
    shop(lambda: place(["SET-3"], quantity=1))
    Product.objects.filter(sku="SET-1").update(enabled=False)
    second = Warehouse.objects.create(code="second", name="Second")
    stock.record_on_hand(Product.objects.get(sku="SET-2"), second, 1)
    Warehouse.objects.filter(code="main").update(is_active=False)
    ChannelStockBuffer.objects.create(channel=channel, product=Product.objects.get(sku="SET-3"), quantity=Decimal(2))
    ids = pending_ids()

    in_batch, _one_by_one = compare(ids, per_event_calls)

    assert "is deleted or disabled" in " ".join(row[3] for row in in_batch["sync_errors"])
    # SET-3's only warehouse is inactive now: both SET-3 orders are short.
    assert sum(1 for needs, _note in flags(in_batch).values() if needs) == 2
    assert ("SET-2", "second", Decimal(1), Decimal(1)) in in_batch["levels"]


def test_currency_not_sold_by_channel(shop, connection, channel, per_event_calls):
    shop(lambda: place(["SET-1"], quantity=1))
    shop(lambda: place(["SET-1"], quantity=1))
    channel.currencies = ["CHF"]
    channel.save()
    ids = pending_ids()

    in_batch, _one_by_one = compare(ids, per_event_calls)

    assert not in_batch["orders"]
    assert ["does not sell in EUR" in row[3] for row in in_batch["sync_errors"]] == [True, True]


def test_same_number_from_two_connections(shop, connection, channel, per_event_calls):
    # A second connection to another channel, and a third that shares the first one's channel.
    from integrations.models import Connection

    other = Connection.objects.create(kind="shopware", name="Shopware AT", slug="shopware-at", base_url="http://testserver/sandbox/shopware")
    other.set_credentials({**connection.credentials})
    other.save()
    same_channel = Connection.objects.create(kind="shopware", name="Shopware DE 2", slug="shopware-de-2", base_url="http://testserver/sandbox/shopware")
    same_channel.set_credentials({**connection.credentials, "channel": channel.code})
    same_channel.save()
    placed = shop(lambda: place(["SET-1"], quantity=1))
    store_placed(other, placed)
    store_placed(same_channel, placed)
    ids = list(InboundEvent.objects.order_by("id").values_list("pk", flat=True))

    for event_id in ids:
        process_inbound_batch(event_id)

    assert sorted(Order.objects.values_list("channel__code", "external_number")) == sorted(
        [(channel.code, placed["orderNumber"]), ("shopware-at", placed["orderNumber"])]
    )
    assert list(InboundEvent.objects.order_by("id").values_list("outcome", flat=True)) == ["created", "created", "skipped"]
    assert StockLevel.objects.get(product__sku="SET-1").reserved == Decimal(2)


def test_one_shop_id_under_two_numbers(shop, connection, per_event_calls):
    # The shop renumbered an order: a cancelled event under the old number comes first, an open
    # event under the new number second, both with the same Shopware id. One by one, the first
    # binds the id and the second fails on it; the set must not bind the second first.
    placed = shop(lambda: place(["SET-1"], quantity=1))
    InboundEvent.objects.all().delete()
    store_placed(connection, cancelled(placed))
    renumbered = shop(lambda: place(["SET-2"], quantity=1))
    InboundEvent.objects.filter(external_id=renumbered["id"]).delete()
    store_placed(connection, {**renumbered, "id": placed["id"], "updatedAt": "2026-05-05T00:00:00.000+00:00"})
    ids = pending_ids()

    in_batch, one_by_one = compare(ids, per_event_calls)

    assert [row[0] for row in in_batch["orders"]] == [placed["orderNumber"]]
    assert in_batch["one_by_one"] == ids
    assert [row[1] for row in sorted(in_batch["events"], key=lambda row: row[0].endswith("2026-05-05T00:00:00.000+00:00"))] == ["processed", "failed"]


def test_retried_event_competes_for_last_unit(shop, connection, make_product, per_event_calls):
    # An order failed for an unknown SKU. The product is imported with one unit, support retries
    # the event, and a new order for the same product arrives before the retry runs.
    template = shop(lambda: place(["SET-1"], quantity=1))
    InboundEvent.objects.all().delete()
    unknown = malformed(template, 41)
    unknown["lineItems"][0]["payload"]["productNumber"] = "LATER-9"
    failed_id = store_placed(connection, unknown)
    process_inbound_event(failed_id)
    sync_error = SyncError.objects.get(inbound_event_id=failed_id)
    make_product("LATER-9", on_hand=1)
    retry_sync_error(sync_error)
    competing = malformed(template, 42)
    competing["lineItems"][0]["payload"]["productNumber"] = "LATER-9"
    competing_id = store_placed(connection, competing)
    ids = [failed_id, competing_id]

    in_batch, _one_by_one = compare(ids, per_event_calls)

    assert in_batch["one_by_one"] == []
    assert flags(in_batch) == {
        "BROKEN-41": (False, ""),
        "BROKEN-42": (True, "Stock could not be reserved: LATER-9: 1 ordered, 0 available. Check stock or contact the customer."),
    }
    assert [row[4] for row in in_batch["sync_errors"]] == [True]
    assert sorted(row[1:4] for row in in_batch["events"]) == [("processed", "created", 1), ("processed", "created", 1)]
