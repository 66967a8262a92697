"""The stock ledger: on-hand from the leading system, reservations for open orders, availability.

Every change is a StockMovement plus an update of StockLevel that SQL computes from the stored
figures under a row lock, never a read-then-write of an absolute number, so concurrent workers
add up. The check constraints on StockLevel (on_hand >= 0, 0 <= reserved <= on_hand) are the
last guard: a reservation that would oversell fails in the database even if a check here were
wrong.
"""

import logging
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from apiclients.cache import bump_catalog
from catalog.models import (
    ChannelStockBuffer,
    MovementReason,
    ReservationState,
    StockLevel,
    StockMovement,
    StockReservation,
    Warehouse,
)
from catalog.models.stock import ReleaseReason
from core.quantities import format_quantity
from core.sql import greatest, least, update_rows

logger = logging.getLogger(__name__)

ZERO = Decimal(0)


class InsufficientStock(Exception):
    """Raised when an order needs more of a product than is available; lists what is short."""

    def __init__(self, shortages):
        self.shortages = shortages  # [(sku, needed, available)]
        details = ", ".join(
            f"{sku}: {format_quantity(needed)} needed, {format_quantity(available)} available"
            for sku, needed, available in shortages
        )
        super().__init__(_("Not enough stock for %(details)s.") % {"details": details})


def _locked_level(product_id, warehouse_id):
    level, _created = StockLevel.objects.select_for_update().get_or_create(product_id=product_id, warehouse_id=warehouse_id)
    return level


def _storable_on_hand(on_hand, product_id, warehouse_id):
    """Return `on_hand` as a Decimal, with a negative figure replaced by zero and logged."""
    on_hand = Decimal(on_hand)
    if on_hand < 0:
        # An ERP may report negative stock after overselling; the ledger stores zero and logs a warning.
        logger.warning(
            "Negative on-hand reported, stored as zero",
            extra={"product_id": product_id, "warehouse_id": warehouse_id, "reported": str(on_hand)},
        )
        return ZERO
    return on_hand


@transaction.atomic
def record_on_hand(product, warehouse, on_hand, *, connection=None, reference=""):
    """Apply the on-hand quantity the leading system reports, as a movement of the difference.

    Returns the movement, or None when the quantity did not change.
    """
    on_hand = _storable_on_hand(on_hand, product.pk, warehouse.pk)
    level = _locked_level(product.pk, warehouse.pk)
    delta = on_hand - level.on_hand
    if delta == 0:
        return None

    # Reservations may exceed a lowered on-hand. They are capped so the constraint holds, and the
    # capped part shows as zero availability until the ERP confirms or the order is cancelled.
    StockLevel.objects.filter(pk=level.pk).update(on_hand=on_hand, reserved=_min(F("reserved"), on_hand))
    bump_catalog([product.pk])
    return StockMovement.objects.create(
        product=product,
        warehouse=warehouse,
        on_hand_delta=delta,
        reason=MovementReason.SYNC,
        reference=reference,
        connection=connection,
    )


def record_on_hand_of_locked_levels(levels_and_quantities, *, connection=None, reference=""):
    """Apply many on-hand figures, as record_on_hand does, to stock levels the caller has locked.

    `levels_and_quantities` is [(level, on-hand)], each level read after it was locked. Returns
    the ids of the products whose on-hand changed. Costs one UPDATE and one INSERT
    for all of them.
    """
    movements = []
    new_on_hand = {}
    for level, on_hand in levels_and_quantities:
        on_hand = _storable_on_hand(on_hand, level.product_id, level.warehouse_id)
        delta = on_hand - level.on_hand
        if delta == 0:
            continue
        new_on_hand[level.pk] = on_hand
        level.on_hand = on_hand
        movements.append(StockMovement(
            product_id=level.product_id, warehouse_id=level.warehouse_id, on_hand_delta=delta,
            reason=MovementReason.SYNC, reference=reference, connection=connection,
        ))
    if new_on_hand:
        # One UPDATE for all levels; the caller holds their locks.
        _update_levels(new_on_hand, f"on_hand = {QUANTITY}, reserved = {least()}(reserved, {QUANTITY})")
    StockMovement.objects.bulk_create(movements)
    changed = {movement.product_id for movement in movements}
    if changed:
        bump_catalog(changed)
    return changed


# A level's own quantity in _update_levels. SQLite receives decimals as text, which would compare
# as greater than any number in MIN, so the value is cast on both databases.
QUANTITY = "CAST(v.column2 AS NUMERIC)"


def _update_levels(values, set_clause):
    """Update many stock levels ({id: quantity}) with one statement, each with its own quantity.

    `set_clause` names the quantity QUANTITY. The caller holds the levels' locks.
    """
    update_rows(StockLevel, sorted(values.items()), set_clause)


def _min(expression, value):
    from django.db.models.functions import Least

    return Least(expression, value)


def demand_by_product(lines):
    """Add up the quantity per product, so two lines for the same item are checked together."""
    demand = defaultdict(lambda: ZERO)
    for line in lines:
        if line.product_id:
            demand[line.product_id] += Decimal(line.quantity)
    return dict(demand)


def lock_stock_levels(product_ids):
    """Lock the stock levels of these products in all warehouses, in id order; return them.

    Every transaction that changes more than one stock level locks them this way before it
    changes any, so two such transactions wait for each other instead of deadlocking. Only the
    stock level rows are locked, so changes of other products run at the same time.
    """
    return list(
        StockLevel.objects.select_for_update(of=("self",))
        .select_related("warehouse")
        .filter(product_id__in=sorted(set(product_ids)))
        .order_by("id")
    )


@transaction.atomic(savepoint=False)
def reserve_order(order, *, lines=None):
    """Reserve stock for all lines of `order`, or nothing for a product that is short.

    Stock levels are locked in id order so two orders reserving the same products cannot
    deadlock. `lines` are the order's lines when the caller has just written them. Returns
    the list of shortages (empty when everything was reserved).

    No savepoint of its own: a failure here rolls back the caller's transaction, which is
    what the caller that creates the order needs anyway, and saves two round trips.
    """
    lines = list(order.lines.all()) if lines is None else list(lines)
    return reserve_orders([(order, lines)])[0]


@transaction.atomic(savepoint=False)
def reserve_orders(orders_and_lines):
    """Reserve stock for several orders, one after another, as reserve_order does for each.

    `orders_and_lines` is [(order, its lines)]. The stock levels of all their products are
    locked once, in id order, and each order is allocated against what the orders before it
    left, so a later order gets only what the earlier ones left. Returns one list of shortages per
    order, in the given order. All levels change with one UPDATE, and the reservations and
    movements of all orders are inserted with one statement each.
    """
    demands = [demand_by_product(lines) for _order, lines in orders_and_lines]
    product_ids = {product_id for demand in demands for product_id in demand}
    if not product_ids:
        return [[] for _order in orders_and_lines]

    levels_by_product = defaultdict(list)
    for level in lock_stock_levels(product_ids):
        if level.warehouse.is_active:
            levels_by_product[level.product_id].append(level)
    bump_catalog(product_ids)

    # What each locked level has left for the next order, kept in memory: the UPDATE below
    # adds up the reservations of all orders at once.
    free = {level.pk: level.available for levels in levels_by_product.values() for level in levels}
    allocations = []
    shortages_per_order = []
    for (order, lines), demand in zip(orders_and_lines, demands, strict=True):
        order_allocations, shortages = _allocate_order(lines, demand, levels_by_product, free)
        allocations.extend((order, line, level, quantity) for line, level, quantity in order_allocations)
        shortages_per_order.append(shortages)

    _write_reservations(allocations)
    return shortages_per_order


def _allocate_order(lines, demand, levels_by_product, free):
    """Allocate one order's demand ({product id: quantity}) from the levels' `free` quantities.

    A product is reserved completely or not at all, so two lines of one product cannot pass
    separately. Returns ([(line, level, quantity)], [(sku, needed, available)]) and takes the
    allocated quantities off `free`.
    """
    lines_by_product = defaultdict(list)
    for line in lines:
        if line.product_id:
            lines_by_product[line.product_id].append(line)

    allocations = []
    shortages = []
    for product_id, needed in demand.items():
        product_levels = sorted(levels_by_product[product_id], key=lambda level: -free[level.pk])
        available = sum((free[level.pk] for level in product_levels), ZERO)
        if available < needed:
            shortages.append((lines_by_product[product_id][0].sku, needed, available))
            continue
        allocations.extend(_allocate(lines_by_product[product_id], product_levels, free))
    return allocations, shortages


def _allocate(lines, levels, free):
    """Spread the lines' quantities over the warehouses with stock, in the order of `levels`.

    `free` is {level pk: quantity left}, and the allocated quantities are taken off it.
    Returns [(line, level, quantity)].
    """
    allocations = []
    for line in lines:
        remaining = Decimal(line.quantity)
        for level in levels:
            if remaining <= 0:
                break
            take = min(remaining, free[level.pk])
            if take <= 0:
                continue
            free[level.pk] -= take
            remaining -= take
            allocations.append((line, level, take))
    return allocations


def _write_reservations(allocations):
    """Add the allocations ([(order, line, level, quantity)]) to their levels; write reservations and movements."""
    reserved = defaultdict(lambda: ZERO)
    for _order, _line, level, quantity in allocations:
        reserved[level.pk] += quantity
    # One UPDATE for all levels: reserve_orders locked them in id order already.
    if reserved:
        _update_levels(reserved, f"reserved = reserved + {QUANTITY}")

    StockReservation.objects.bulk_create(
        StockReservation(order_line=line, product_id=line.product_id, warehouse_id=level.warehouse_id, quantity=quantity)
        for _order, line, level, quantity in allocations
    )
    StockMovement.objects.bulk_create(
        StockMovement(
            product_id=line.product_id,
            warehouse_id=level.warehouse_id,
            reserved_delta=quantity,
            reason=MovementReason.RESERVATION,
            reference=str(order),
        )
        for order, line, level, quantity in allocations
    )


def release_order(order, reason):
    """Release the open reservations of `order`; safe to call twice. Returns how many were released."""
    return release_orders([order], reason)


def _release_reason(reason):
    """Return `reason` as a ReleaseReason, or raise ValueError that lists the valid codes."""
    try:
        return ReleaseReason(reason)
    except ValueError:
        raise ValueError(
            f"Release reason {reason!r} is not a ReleaseReason code. Pass one of: {', '.join(ReleaseReason.values)}."
        ) from None


@transaction.atomic
def release_orders(orders, reason, *, locked_levels=None):
    """Release the open reservations of several orders with a few queries; return how many were released.

    `reason` is a ReleaseReason. It is stored as its code, so the admin shows it in the
    reader's language, and the release movements' reference is "<order>: <code>".
    The stock levels are locked in id order before the reservations, as reserve_order does.
    `locked_levels` are the levels that the caller has locked with lock_stock_levels, covering
    every product of the orders' lines, so they are not locked a second time.
    """
    reason = _release_reason(reason)
    orders_by_pk = {order.pk: order for order in orders}
    open_reservations = StockReservation.objects.filter(order_line__order__in=list(orders_by_pk), state=ReservationState.OPEN)
    if locked_levels is None:
        levels = lock_stock_levels(list(open_reservations.values_list("product_id", flat=True)))
    else:
        levels = locked_levels
    reservations = list(open_reservations.select_for_update(of=("self",)).select_related("order_line").order_by("id"))
    if not reservations:
        return 0
    bump_catalog(reservation.product_id for reservation in reservations)

    level_ids = {(level.product_id, level.warehouse_id): level.pk for level in levels}
    released = defaultdict(lambda: ZERO)
    for reservation in reservations:
        level_pk = level_ids.get((reservation.product_id, reservation.warehouse_id))
        if level_pk is not None:
            released[level_pk] += reservation.quantity
    # One UPDATE for all levels; they were locked above.
    if released:
        _update_levels(released, f"reserved = {greatest()}(reserved - {QUANTITY}, 0)")

    StockMovement.objects.bulk_create(
        StockMovement(
            product_id=reservation.product_id,
            warehouse_id=reservation.warehouse_id,
            reserved_delta=-reservation.quantity,
            reason=MovementReason.RELEASE,
            reference=f"{orders_by_pk[reservation.order_line.order_id]}: {reason.value}",
        )
        for reservation in reservations
    )
    now = timezone.now()
    StockReservation.objects.filter(pk__in=[reservation.pk for reservation in reservations]).update(
        state=ReservationState.RELEASED, released_at=now, release_reason=reason.value, updated_at=now
    )
    return len(reservations)



def channel_buffer(channel, product):
    """Return the units held back from `channel` for `product` (its own row, else the channel default)."""
    return channel_buffers([channel], [product.pk])(channel, product.pk)


def channel_buffers(channels, product_ids):
    """Read the buffers of many channels and products with one query; return a lookup function.

    The function takes (channel, product id) and returns the units held back, by
    channel_buffer's rule: the product's own row, else the channel's default row, else zero.
    """
    rows = ChannelStockBuffer.objects.filter(channel__in=list(channels)).filter(
        Q(product_id__in=list(product_ids)) | Q(product__isnull=True)
    )
    quantities = {(row.channel_id, row.product_id): row.quantity for row in rows}

    def buffer_of(channel, product_id):
        return quantities.get((channel.pk, product_id), quantities.get((channel.pk, None), ZERO))

    return buffer_of


def available_for_channel_many(product_ids, channel):
    """Return {product id: available_for_channel} for many products, with two queries in all."""
    product_ids = list(product_ids)
    totals = {
        row["product_id"]: (row["on_hand"] or ZERO) - (row["reserved"] or ZERO)
        for row in StockLevel.objects.filter(product_id__in=product_ids, warehouse__is_active=True)
        .values("product_id")
        .annotate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
    }
    buffer_of = channel_buffers([channel], product_ids)
    return {product_id: max(totals.get(product_id, ZERO) - buffer_of(channel, product_id), ZERO) for product_id in product_ids}


def available_for_channel(product, channel):
    """Return on-hand minus open reservations minus the channel buffer, never below zero."""
    totals = StockLevel.objects.filter(product=product, warehouse__is_active=True).aggregate(
        on_hand=Sum("on_hand"), reserved=Sum("reserved")
    )
    free = (totals["on_hand"] or ZERO) - (totals["reserved"] or ZERO)
    return max(free - channel_buffer(channel, product), ZERO)


def default_warehouse():
    return Warehouse.objects.filter(is_active=True).order_by("code").first()
