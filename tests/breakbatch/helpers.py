"""Building blocks of the batch attacks: sandbox orders, inbox events and worker threads."""

import copy
import json
import threading
from decimal import Decimal

from django.db import connection as db_connection
from django.utils import timezone

from catalog.models import StockLevel
from integrations.models import InboundEvent, InboundState
from integrations.sandbox import store
from integrations.sandbox.shopware.orders import PlacedLine, place_order
from integrations.services.inbox import process_inbound_batch, store_inbound_items
from integrations.shopware import webhooks


def place(skus, quantity=1):
    """Place an order in the sandbox shop; its webhook stores a pending inbox event."""
    products = [store.find_by_natural_key("shopware", "product", sku).data for sku in skus]
    return place_order(
        [PlacedLine(product=product, quantity=quantity, unit_gross=Decimal("11.90")) for product in products],
        customer_number="17850", country_iso="GB", placed_at=timezone.now(),
    )


def placed_body(order):
    return json.dumps({"data": {"event": "checkout.order.placed", "payload": {"order": order}}, "source": {}}).encode()


def written_body(order_id, event_id):
    payload = [{"entity": "order", "primaryKey": order_id, "operation": "insert"}]
    return json.dumps({"data": {"event": "order.written", "payload": payload}, "source": {"eventId": event_id}}).encode()


def store_placed(connection, order):
    """Store a checkout.order.placed event for `order` as the webhook view does; return its id or None."""
    ids = store_inbound_items(connection, webhooks.parse(placed_body(order)), source="webhook", queue=False)
    return ids[0] if ids else None


def store_written(connection, order_id, event_id):
    """Store an order.written event, which makes the connector fetch the order; return its id."""
    return store_inbound_items(connection, webhooks.parse(written_body(order_id, event_id)), source="webhook", queue=False)[0]


def malformed(order, number, **changes):
    """Return a copy of `order` with a new id and number and the given top-level changes."""
    broken = copy.deepcopy(order)
    broken["id"] = f"{number:0>32}"
    broken["orderNumber"] = f"BROKEN-{number}"
    broken.update(changes)
    return broken


def pending_ids():
    return list(InboundEvent.objects.filter(state=InboundState.PENDING).order_by("id").values_list("pk", flat=True))


def states_of(ids):
    return dict(InboundEvent.objects.filter(pk__in=ids).values_list("pk", "state"))


def stock_level(sku):
    return StockLevel.objects.get(product__sku=sku)


def run_in_threads(*works, timeout=60):
    """Run each callable in its own thread with its own database connection; return results or errors."""
    results = [None] * len(works)

    def run(index, work):
        try:
            results[index] = work()
        except BaseException as error:  # noqa: BLE001 - reported to the test, which asserts on it
            results[index] = error
        finally:
            db_connection.close()

    threads = [threading.Thread(target=run, args=(index, work)) for index, work in enumerate(works)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a worker thread did not finish"
    return results


def backend_waits_for_lock(pid):
    """Return whether the PostgreSQL backend `pid` waits for a lock now."""
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


def process_batches_in_workers(ids, workers=4):
    """Process every `workers`-th event id as a batch in each of `workers` threads started together; return their results."""
    barrier = threading.Barrier(workers)

    def worker(start):
        def work():
            barrier.wait(timeout=10)
            return [process_inbound_batch(event_id) for event_id in ids[start::workers]]
        return work

    return run_in_threads(*(worker(start) for start in range(workers)))
