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


def apply_stock_events(connection, event_ids):
    """Apply pending pulled stock events of `connection`; return {outcome: number of events}.

    Events that another worker has locked are left to it. The page runs in one transaction, and
    each event that the bulk path leaves to the inbox runs in one of its own.
    """
    counts = defaultdict(int)
    single = []
    with transaction.atomic():
        events = list(
            InboundEvent.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=list(event_ids), connection=connection, entity=Domain.STOCK, state=InboundState.PENDING)
            .order_by("pk")
        )
        if leading_connection_id(Domain.STOCK) != connection.pk:
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
            outcomes = run_retrying_deadlocks(lambda: _apply(connection, readable))
            inbox.store_outcomes(outcomes)
            for outcome, pks in outcomes.items():
                counts[outcome] += len(pks)

    for event_id in sorted(single):
        event = inbox.process_inbound_event(event_id)
        if event is not None:
            counts[event.outcome or event.state] += 1
    return dict(counts)


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


def _apply(connection, readable):
    """Apply the readable events in the caller's transaction; return {outcome: [event pks]}."""
    outcomes = defaultdict(list)
    products = {product.sku: product for product in Product.objects.filter(sku__in={item.sku for _event, item in readable})}
    known = []
    for event, item in readable:
        if item.sku in products:
            known.append((event, item))
        else:
            logger.info("odoo stock for unknown sku skipped", extra={"connection_id": connection.pk, "odoo_product_id": item.product_id})
            outcomes["skipped"].append(event.pk)
    if not known:
        return outcomes

    warehouses = _warehouses(connection, [item for _event, item in known])
    product_ids = sorted({products[item.sku].pk for _event, item in known})
    levels = _locked_levels(product_ids, {(products[item.sku].pk, warehouses[item.warehouse_id].pk) for _event, item in known})

    # Of several events for one level, the latest read is applied and the others are stale.
    latest = {}
    for event, item in known:
        key = (products[item.sku].pk, warehouses[item.warehouse_id].pk)
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


def _warehouses(connection, items):
    """Return {Odoo warehouse id: Warehouse} of the items, binding a warehouse Kontor lacks once."""
    found = find_records(connection, Warehouse, {item.warehouse_id for item in items})
    warehouses = {int(external_id): warehouse for external_id, warehouse in found.items()}
    for item in items:
        if item.warehouse_id not in warehouses:
            warehouses[item.warehouse_id] = warehouse_for(connection, item.warehouse_id, item.warehouse_code, item.warehouse_name)
    return warehouses


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


def _read_times(connection, levels):
    """Return {level pk: read time of the figure applied last} from the levels' bindings."""
    rows = Binding.objects.filter(
        connection=connection,
        content_type=ContentType.objects.get_for_model(StockLevel),
        object_id__in=[str(level.pk) for level in levels],
        pulled_at__isnull=False,
    ).values_list("object_id", "pulled_at")
    return {int(object_id): pulled_at for object_id, pulled_at in rows}
