"""A page of pulled Odoo stock applied to the ledger with a fixed number of statements.

The stock loop stores each changed (product, warehouse) as an inbox event, so a duplicate read
is dropped by the inbox's dedup key. Applying the events one at a time cost about 30
statements per event. This module applies all pending events of a page together and keeps the
rules of inbound.process_stock for each of them:

- On-hand changes are stock movements of the difference to the level's locked figure, never a
  write of an absolute number read earlier.
- A level's read time is stored on its binding, so an older read is never applied after a
  newer one. Of two events for the same level in one page, the later read is applied and the
  other is ignored as stale.
- The stock levels are locked in id order before any of them changes, as reservations lock
  them, so a page and an order wait for each other instead of deadlocking.
- Each event ends processed, ignored or failed with its outcome. An event the bulk path cannot
  take (an unreadable payload, an earlier failure, another connection leading stock) is
  processed alone through the inbox, which records its failure and sync error.

Under order load nearly every quant changes every second, because Odoo reserves stock for each
confirmed order, and the orders loop's handover has usually recorded that reading already. The
levels are locked by order batches for most of that time. So a page is applied in up to
three transactions. The changes whose levels are free are committed at once, then the changes
whose levels other transactions hold wait for them. The events that would change nothing (the
ledger has the figure, or a newer read is applied) take only the levels that no other
transaction locks, and their other events stay pending for the next step. A real change
therefore waits only when its own level is held, and then only for the levels of the other
held changes, never for the levels whose figure stays the same.
"""

import logging
from collections import defaultdict

from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from catalog.models import Product, StockLevel, Warehouse
from catalog.services import availability, stock
from integrations.domains import Domain
from integrations.models import Binding, InboundEvent, InboundState
from integrations.odoo.inbound import parse_stock_payload, stamp_reads, warehouse_for
from integrations.odoo.issues import StockItemInvalid
from integrations.odoo.mappers import free_quantity
from integrations.services import inbox
from integrations.services.bindings import find_records
from integrations.services.deadlocks import run_retrying_deadlocks
from integrations.services.leading import leading_connection_id

logger = logging.getLogger(__name__)

# Outcome key of events left pending because another transaction held their stock level.
DEFERRED = "deferred"


def apply_stock_events(connection, event_ids):
    """Apply pending pulled stock events of `connection`; return {outcome: number of events}.

    Events that another worker has locked are left to it. The events that change a level come
    first: those whose levels no other transaction locks in one transaction, then the others
    in one that waits for their levels. The events that change nothing follow in a transaction
    that skips levels held elsewhere; those it skips stay pending and are counted as
    "deferred". Each event that the bulk path leaves to the inbox runs in a transaction of its own.
    """
    counts = defaultdict(int)
    events = list(
        InboundEvent.objects.filter(pk__in=list(event_ids), connection=connection, entity=Domain.STOCK, state=InboundState.PENDING).order_by("pk")
    )
    single = []
    if events and leading_connection_id(Domain.STOCK) != connection.pk:
        # Conflicts or a missing leading system are recorded per event by the full rules.
        single = [event.pk for event in events]
        events = []
    readable = []
    for event in events:
        item = _readable(connection, event)
        if item is None:
            single.append(event.pk)
        else:
            readable.append((event, item))

    if readable:
        products = {product.sku: product for product in Product.objects.filter(sku__in={item.sku for _event, item in readable})}
        warehouses = _bound_warehouses(connection, readable)
        changing, unchanged = _split_by_change(connection, readable, products, warehouses)
        # The changes whose levels are free are committed first, so the sender sends them
        # while this step waits for the levels that other transactions hold.
        outcomes = _apply_group(connection, changing, products, warehouses, wait=False)
        held_ids = set(outcomes.pop(DEFERRED, []))
        _count(counts, outcomes)
        held = [(event, item) for event, item in changing if event.pk in held_ids]
        _count(counts, _apply_group(connection, held, products, warehouses, wait=True))
        _count(counts, _apply_group(connection, unchanged, products, warehouses, wait=False))

    for event_id in sorted(single):
        event = inbox.process_inbound_event(event_id)
        if event is not None:
            counts[event.outcome or event.state] += 1
    return dict(counts)


def _count(counts, outcomes):
    for outcome, pks in outcomes.items():
        counts[outcome] += len(pks)


def _readable(connection, event):
    """Return the parsed payload of an event the bulk path can apply, or None for the single path."""
    if event.error:
        # An event that failed before goes through the inbox, which resolves its sync error.
        return None
    try:
        return parse_stock_payload(connection, event.payload)
    except StockItemInvalid:
        # The single path raises the same error, and the inbox records it as a sync error.
        return None


def _bound_warehouses(connection, readable):
    """Return {Odoo warehouse id: Warehouse} of the items whose warehouse Kontor has bound already."""
    found = find_records(connection, Warehouse, {item.warehouse_id for _event, item in readable})
    return {int(external_id): warehouse for external_id, warehouse in found.items()}


def _split_by_change(connection, readable, products, warehouses):
    """Split (event, item) pairs into those that may change a stock level and those that cannot.

    Decided per level from its latest read, without locks: a level changes unless the ledger
    has the read's figure already or a newer read of it is applied. `_apply` checks again with
    the level locked, so a wrong guess only puts an event into the other transaction. Items
    without a known product, warehouse or level count as changing; `_apply` handles them.
    """
    keys = {}
    for event, item in readable:
        product, warehouse = products.get(item.sku), warehouses.get(item.warehouse_id)
        keys[event.pk] = None if product is None or warehouse is None else (product.pk, warehouse.pk)
    levels = {
        (level.product_id, level.warehouse_id): level
        for level in StockLevel.objects.filter(
            product_id__in={key[0] for key in keys.values() if key}, warehouse_id__in={key[1] for key in keys.values() if key}
        ).only("id", "product_id", "warehouse_id", "on_hand")
    }
    latest = {}
    for event, item in readable:
        key = keys[event.pk]
        if key in levels and (key not in latest or latest[key].read_at < item.read_at):
            latest[key] = item
    read_times = _read_times(connection, [levels[key] for key in latest])

    unchanged_keys = set()
    for key, item in latest.items():
        level = levels[key]
        stamp = read_times.get(level.pk)
        if (stamp is not None and stamp >= item.read_at) or free_quantity(item.quantity, item.reserved) == level.on_hand:
            unchanged_keys.add(key)
    changing = [(event, item) for event, item in readable if keys[event.pk] not in unchanged_keys]
    unchanged = [(event, item) for event, item in readable if keys[event.pk] in unchanged_keys]
    return changing, unchanged


def _apply_group(connection, readable, products, warehouses, *, wait):
    """Apply (event, item) pairs in one transaction and store their outcomes; return {outcome: [event pks]}.

    With `wait=False` the levels held by other transactions are skipped, and their events stay
    pending, listed under "deferred".
    """
    if not readable:
        return {}
    with transaction.atomic():
        locked = set(
            InboundEvent.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=[event.pk for event, _item in readable], state=InboundState.PENDING)
            .values_list("pk", flat=True)
        )
        readable = [(event, item) for event, item in readable if event.pk in locked]
        if not readable:
            return {}
        outcomes = run_retrying_deadlocks(lambda: _apply(connection, readable, products, dict(warehouses), wait=wait))
        inbox.store_outcomes({outcome: pks for outcome, pks in outcomes.items() if outcome != DEFERRED})
    return outcomes


def _apply(connection, readable, products, warehouses, *, wait=True):
    """Apply the readable events in the caller's transaction; return {outcome: [event pks]}.

    `warehouses` ({Odoo warehouse id: Warehouse}) gets the warehouses bound here. With
    `wait=False`, events whose stock level another transaction locks are returned under
    "deferred" and not applied.
    """
    outcomes = defaultdict(list)
    known = []
    for event, item in readable:
        if item.sku in products:
            known.append((event, item))
        else:
            logger.info("odoo stock for unknown sku skipped", extra={"connection_id": connection.pk, "odoo_product_id": item.product_id})
            outcomes["skipped"].append(event.pk)
    if not known:
        return outcomes

    for _event, item in known:
        if item.warehouse_id not in warehouses:
            warehouses[item.warehouse_id] = warehouse_for(connection, item.warehouse_id, item.warehouse_code, item.warehouse_name)
    product_ids = sorted({products[item.sku].pk for _event, item in known})
    pairs = {(products[item.sku].pk, warehouses[item.warehouse_id].pk) for _event, item in known}
    levels = _locked_levels(product_ids, pairs) if wait else _free_levels(product_ids)

    # Of several events for one level, the latest read is applied and the others are stale.
    latest = {}
    for event, item in known:
        key = (products[item.sku].pk, warehouses[item.warehouse_id].pk)
        if key not in levels:
            outcomes[DEFERRED].append(event.pk)
            continue
        earlier = latest.get(key)
        if earlier is not None and earlier[1].read_at > item.read_at:
            outcomes["stale"].append(event.pk)
            continue
        if earlier is not None:
            outcomes["stale"].append(earlier[0].pk)
        latest[key] = (event, item)

    read_times = _read_times(connection, [levels[key] for key in latest])
    figures, reads, applied = [], [], []
    for key, (event, item) in latest.items():
        level = levels[key]
        stamp = read_times.get(level.pk)
        if stamp is not None and stamp >= item.read_at:
            outcomes["stale"].append(event.pk)
            continue
        figures.append((level, free_quantity(item.quantity, item.reserved)))
        reads.append((level, event.external_id, item.read_at))
        applied.append((event, level, level.on_hand))

    changed = stock.record_on_hand_of_locked_levels(figures, connection=connection, reference=f"odoo {connection.slug}")
    stamp_reads(connection, reads)
    for event, level, on_hand_before in applied:
        outcomes["updated" if level.on_hand != on_hand_before else "skipped"].append(event.pk)
    if changed:
        availability.publish_availability(sorted(changed), origin=connection)
    return outcomes


def _locked_levels(product_ids, pairs):
    """Lock the stock levels of the products in id order and return {(product id, warehouse id): level}.

    A (product, warehouse) without a level gets one first. The new rows are locked by their
    INSERT, and the second locking read returns them with the others.
    """
    levels = {(level.product_id, level.warehouse_id): level for level in stock.lock_stock_levels(product_ids)}
    missing = pairs - set(levels)
    if missing:
        StockLevel.objects.bulk_create(
            [StockLevel(product_id=product_id, warehouse_id=warehouse_id) for product_id, warehouse_id in sorted(missing)],
            ignore_conflicts=True,
        )
        levels = {(level.product_id, level.warehouse_id): level for level in stock.lock_stock_levels(product_ids)}
    return levels


def _free_levels(product_ids):
    """Lock the products' stock levels that no other transaction locks; return {(product id, warehouse id): level}."""
    levels = (
        StockLevel.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("warehouse")
        .filter(product_id__in=product_ids)
        .order_by("id")
    )
    return {(level.product_id, level.warehouse_id): level for level in levels}


def _read_times(connection, levels):
    """Return {level pk: read time of the figure applied last} from the levels' bindings."""
    rows = Binding.objects.filter(
        connection=connection,
        content_type=ContentType.objects.get_for_model(StockLevel),
        object_id__in=[str(level.pk) for level in levels],
        pulled_at__isnull=False,
    ).values_list("object_id", "pulled_at")
    return {int(object_id): pulled_at for object_id, pulled_at in rows}
