"""Stock figures for shops that count their own stock: Kontor's figure less the shop's unseen sales.

A shop such as Shopware takes an order's units out of its own stock when the order is placed,
and its API only takes an absolute figure. A figure that Kontor counted before it stored such an
order would put the order's units back in the shop until the next figure, so the shop could
sell them twice. This module closes that gap, except for orders placed between reading the
shop's figures and writing the new ones.

NOTE: the shop's order times are compared with Kontor's clock, so the two clocks must agree to
well under a second. A shop clock that runs behind makes Kontor hold back too much, one that
runs ahead too little.

Before a write the connector reads the shop's current figures. For each product the shop should
show the figure Kontor sent last, less the units of this shop's orders placed since that figure
was counted, which the shop took out after the write. Whatever the shop shows below that are
units it sold that Kontor has not received yet ("unseen"), and they are taken off the figure
Kontor sends. They stay taken off across later writes until the orders that explain them
arrive, or for UNSEEN_HOLD at most, so that a figure someone lowered by hand in the shop does
not stay lowered for good.

A cancelled order is left out on both sides, because the shop puts its units back when it
cancels.
"""

import logging
from collections import defaultdict
from datetime import timedelta

from django.db.models import Q

from orders.models import OrderLine, OrderStatus

logger = logging.getLogger(__name__)

# How long units missing in the shop are held back while their orders have not arrived. An
# estimate: far longer than an order webhook takes under load, short enough to lose few sales.
UNSEEN_HOLD = timedelta(seconds=60)
# The Binding fields this module keeps.
BASELINE_FIELDS = ("stock_sent", "stock_counted_at", "stock_unseen", "stock_unseen_since")


def has_baseline(binding):
    """Return whether Kontor has sent this product a figure to compare the shop's figure with."""
    return binding.stock_sent is not None and binding.stock_counted_at is not None


def _known_units(connection, bindings, now):
    """Return the units of this shop's orders since each product's last figure, as two dicts.

    The first, {product id: units}, counts orders placed after the figure was counted: the shop
    took them out after Kontor's write. The second counts orders placed before that but stored
    since, which Kontor did not know at the write. Orders placed and stored more than
    UNSEEN_HOLD ago are not read, because units held back for them have been released already.
    """
    horizon = now - UNSEEN_HOLD
    since = max(min(binding.stock_counted_at for binding in bindings.values()), horizon)
    rows = (
        OrderLine.objects.filter(order__connection=connection, product_id__in=list(bindings))
        # updated_at is indexed and never older than created_at, so this finds every order stored
        # since `since` without scanning the table.
        .filter(Q(order__placed_at__gt=since) | Q(order__updated_at__gt=since))
        .exclude(order__status=OrderStatus.CANCELLED)
        .values_list("product_id", "quantity", "order__placed_at", "order__created_at")
    )
    placed_after, arrived_after = defaultdict(int), defaultdict(int)
    for product_id, quantity, placed_at, created_at in rows:
        counted_at = bindings[product_id].stock_counted_at
        if placed_at > counted_at:
            placed_after[product_id] += int(quantity)
        elif created_at > counted_at:
            arrived_after[product_id] += int(quantity)
    return placed_after, arrived_after


def figures_to_send(connection, figures, shop_figures, bindings, counted_at):
    """Return {product id: figure to write}, and set each binding's unseen units for record_sent.

    `figures` are Kontor's figures ({product id: int}) counted at `counted_at`; `shop_figures`
    are the shop's current ones, read after that, and `bindings` are the products' bindings. A
    product without a previous figure, or missing in the shop's response, gets Kontor's figure.
    """
    compared = {
        product_id: binding for product_id, binding in bindings.items()
        if product_id in figures and product_id in shop_figures and has_baseline(binding)
    }
    placed_after, arrived_after = _known_units(connection, compared, counted_at) if compared else ({}, {})
    horizon = counted_at - UNSEEN_HOLD

    result = {}
    for product_id, figure in figures.items():
        binding = bindings.get(product_id)
        if binding is None:
            result[product_id] = figure
            continue
        if product_id not in compared:
            binding.stock_unseen, binding.stock_unseen_since = 0, None
            result[product_id] = figure
            continue

        held = binding.stock_unseen if binding.stock_unseen_since and binding.stock_unseen_since > horizon else 0
        # Orders that arrived since are in Kontor's figure now, so their units are held no longer.
        still_held = held - arrived_after[product_id] if held else 0
        expected = binding.stock_sent - placed_after[product_id]
        unseen = max(still_held + expected - shop_figures[product_id], 0)
        if unseen and not held:
            binding.stock_unseen_since = counted_at
            logger.info(
                "shop sold units Kontor has not received yet",
                extra={"connection_id": connection.pk, "product_id": product_id, "units": unseen},
            )
        elif not unseen:
            binding.stock_unseen_since = None
        binding.stock_unseen = unseen
        result[product_id] = max(figure - unseen, 0)
    return result


def record_sent(bindings, sent, counted_at):
    """Store the figures the shop accepted ({product id: figure}) as the next comparison's baseline."""
    changed = []
    for product_id, figure in sent.items():
        binding = bindings.get(product_id)
        if binding is None:
            continue
        binding.stock_sent, binding.stock_counted_at = figure, counted_at
        changed.append(binding)
    if changed:
        type(changed[0]).objects.bulk_update(changed, BASELINE_FIELDS)
