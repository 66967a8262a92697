"""Stock figures for shops that count their own stock: Kontor's figure less the shop's unseen sales.

A shop such as Shopware takes an order's units out of its own stock when the order is placed,
and its API only takes an absolute figure. A figure that Kontor counted before it stored such an
order would put the order's units back in the shop until the next figure, so the shop could
sell them twice. This module closes that gap, except for orders placed between reading the
shop's figures and writing the new ones.

For each product the binding keeps the figure Kontor wrote last, and the units of this shop's
live orders for the product that Kontor had stored when it counted that figure ("known").
Before the next write the connector reads the shop's figure. Since the last write the shop has
taken out what it sold; Kontor has received some of those orders, and maybe older ones it had
missed, which all show as the growth of the known units. Units the shop took out that are not
explained by that growth were sold by the shop without Kontor knowing yet ("unseen"). They are
taken off the figure Kontor writes, and stay taken off until the orders arrive, or for
UNSEEN_HOLD at most, so that a figure someone lowered by hand in the shop does not stay lowered.
Every minute, release_expired() sends the full figure again for products whose hold ran out.

A cancelled order leaves the known units and the shop puts its units back, so the two cancel
out. Orders placed more than KNOWN_WINDOW before a count are not part of its known units: one
that arrives later than that stays held back until the hold runs out.
"""

import logging
from datetime import timedelta

from django.db import connection as db_connection
from django.db import transaction

from core.sql import update_rows
from integrations.models import Binding
from orders.models import Order, OrderLine, OrderStatus

logger = logging.getLogger(__name__)

# How long units missing in the shop are held back while their orders have not arrived. An
# estimate: far longer than an order webhook takes under load, short enough to lose few sales.
UNSEEN_HOLD = timedelta(seconds=60)
# Orders placed this long before a count are not part of its known units. An estimate: longer
# than an order webhook takes under load. A shorter window makes each count cheaper to read.
KNOWN_WINDOW = timedelta(seconds=20)
# A baseline older than this is not compared: the orders since would be costly to read, and a
# product that had no figure for so long has no sale in flight anyway.
BASELINE_AGE_LIMIT = UNSEEN_HOLD * 10
# The Binding fields this module keeps.
BASELINE_FIELDS = ("stock_sent", "stock_known", "stock_known_since", "stock_unseen", "stock_unseen_since")


def _timestamp(sql):
    """Return `sql` typed as a timestamp, which PostgreSQL needs for a VALUES column that may hold only NULLs."""
    return f"CAST({sql} AS timestamp with time zone)" if db_connection.vendor == "postgresql" else sql


def has_baseline(binding, now):
    """Return whether the binding has a recent enough figure to compare the shop's figure with."""
    return (
        binding.stock_sent is not None
        and binding.stock_known_since is not None
        and binding.stock_known_since > now - BASELINE_AGE_LIMIT
    )


def count_known(connection, bindings, now):
    """Return {product id: (known units since the baseline's start, known units since now's start)}.

    Known units are those of this shop's orders that Kontor has stored and not cancelled. Read
    it before Kontor's own figure: an order stored in between then counts in the figure only,
    and is held back once too often, which shows the shop too little rather than too much.
    """
    if not bindings:
        return {}
    start = now - KNOWN_WINDOW
    compared = {product_id: binding.stock_known_since for product_id, binding in bindings.items() if has_baseline(binding, now)}
    earliest = min([start, *compared.values()])

    # Raw SQL joined to a VALUES list of each product's start: a Case/When per product costs
    # more Python time to build than the query takes (see core.sql).
    adapt = db_connection.ops.adapt_datetimefield_value
    lines, orders = OrderLine._meta.db_table, Order._meta.db_table
    products = ", ".join(["(%s, %s)"] * len(bindings))
    sql = (
        f"SELECT l.product_id, "
        f"SUM(CASE WHEN o.placed_at > {_timestamp('v.column2')} THEN l.quantity ELSE 0 END), "
        f"SUM(CASE WHEN o.placed_at > {_timestamp('%s')} THEN l.quantity ELSE 0 END) "
        f"FROM {lines} l JOIN {orders} o ON o.id = l.order_id "
        f"JOIN (VALUES {products}) AS v ON v.column1 = l.product_id "
        f"WHERE o.connection_id = %s AND o.status <> %s AND o.placed_at > {_timestamp('%s')} "
        f"GROUP BY l.product_id"
    )
    params = [adapt(start)]
    for product_id in bindings:
        params += [product_id, adapt(compared.get(product_id))]
    params += [connection.pk, str(OrderStatus.CANCELLED), adapt(earliest)]
    with db_connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()

    counts = {product_id: (0, 0) for product_id in bindings}
    counts.update({product_id: (int(before or 0), int(since_start or 0)) for product_id, before, since_start in rows})
    return counts


def figures_to_send(connection, figures, shop_figures, bindings, known, now):
    """Return {product id: figure to write}, and set each binding's new baseline for record_sent.

    `figures` are Kontor's figures ({product id: int}), `shop_figures` the shop's current ones
    read after them, `bindings` the products' bindings and `known` what count_known returned
    before the figures were read. A product without a recent figure, or missing in the shop's
    response, gets Kontor's figure.
    """
    expired_before = now - UNSEEN_HOLD
    result = {}
    for product_id, figure in figures.items():
        binding = bindings[product_id]
        known_before, known_now = known.get(product_id, (0, 0))
        compared = has_baseline(binding, now) and product_id in shop_figures

        unseen = 0
        if compared:
            held_units = binding.stock_unseen if binding.stock_unseen_since and binding.stock_unseen_since > expired_before else 0
            taken_out = binding.stock_sent - shop_figures[product_id]
            arrived = known_before - binding.stock_known
            found = taken_out - arrived
            unseen = max(held_units + found, 0)
            if found > 0:
                # The hold runs from the last sale found, so units found during a busy hour are
                # not released while their orders are still on the way.
                binding.stock_unseen_since = now
                logger.info(
                    "shop sold units Kontor has not received yet",
                    extra={"connection_id": connection.pk, "product_id": product_id, "units": found, "held": unseen},
                )

        if not unseen:
            binding.stock_unseen_since = None
        binding.stock_unseen = unseen
        binding.stock_known, binding.stock_known_since = known_now, now - KNOWN_WINDOW
        result[product_id] = max(figure - unseen, 0)
    return result


def record_sent(bindings, sent):
    """Store the figures the shop accepted ({product id: figure}) with their baselines."""
    adapt = db_connection.ops.adapt_datetimefield_value
    rows = []
    for product_id, figure in sent.items():
        binding = bindings[product_id]
        binding.stock_sent = figure
        rows.append((
            binding.pk, figure, binding.stock_known, adapt(binding.stock_known_since),
            binding.stock_unseen, adapt(binding.stock_unseen_since),
        ))
    # One statement joined to a VALUES list: with bulk_update's CASE per row and field, this
    # took a quarter of the stock loop's CPU in the order flow benchmark (see core.sql).
    update_rows(
        Binding, rows,
        "stock_sent = v.column2, stock_known = v.column3, "
        f"stock_known_since = {_timestamp('v.column4')}, stock_unseen = v.column5, "
        f"stock_unseen_since = {_timestamp('v.column6')}",
    )


def release_expired(now):
    """Send the full figure again for products whose held-back units ran out of time; return them.

    Without this, units held back for an order that never arrives (or for a figure lowered by
    hand in the shop) would stay held back until the product's stock next changed.
    """
    from catalog.services.availability import publish_availability

    expired = Binding.objects.filter(stock_unseen__gt=0, stock_unseen_since__lte=now - UNSEEN_HOLD)
    product_ids = sorted({int(object_id) for object_id in expired.values_list("object_id", flat=True)})
    if not product_ids:
        return []

    with transaction.atomic():
        # The figure may equal the one delivered last, which the outbox would skip as redundant.
        expired.update(pushed_fingerprint="")
        publish_availability(product_ids)
    logger.info("held-back shop stock released", extra={"product_ids": product_ids[:50], "count": len(product_ids)})
    return product_ids
