"""The order stream of the simulated shop: replayed invoices become Shopware orders.

A line is sold only if the shop has the product and stock for it, as a shop with stock
management does: the quantity is capped at the product's stock and a line without stock is
left out. The unit price is the product's gross price in the default currency, or the data
set's price when the product has none. The order's customer and addresses are derived from the
invoice's customer id, or from its invoice number for a guest order (see customers.py).
"""

from decimal import Decimal

from django.utils import timezone

from integrations.sandbox import orderstream, store
from integrations.sandbox.shopware.orders import NewOrder, PlacedLine, apply_transition
from integrations.sandbox.shopware.orders import place_orders as store_orders
from integrations.sandbox.shopware.state import DEFAULT_CURRENCY, SYSTEM, currency_id

FALLBACK_PRICE = Decimal("1.00")
CANCELLABLE_STATES = ("open", "in_progress")


def _unit_price(product, data_set_price, parents):
    """Return the gross price of a product in the default currency; `parents` is {id: parent data}."""
    for price in product.get("price") or []:
        if price.get("currencyId") == currency_id(DEFAULT_CURRENCY) and price.get("gross"):
            return Decimal(str(price["gross"]))
    if product.get("parentId"):
        parent = parents.get(product["parentId"]) or {}
        return _unit_price({"price": parent.get("price")}, data_set_price, parents)
    return data_set_price if data_set_price > 0 else FALLBACK_PRICE


def place(invoice, lines):
    """Place an order for an invoice's mapped lines; return False when nothing is in stock."""
    return place_many([(invoice, lines)])[0]


def place_many(placements):
    """Place an order for each (invoice, mapped lines) in one transaction; return a list of bools.

    False marks an invoice skipped because none of its products is in stock. Products and their
    parents are read once for the block, and stock already sold to an earlier order of the block
    is not sold again. Each placed order still gets its own webhook.
    """
    skus = {sku for _invoice, lines in placements for sku in lines}
    products = {row.natural_key: row.data for row in store.rows(SYSTEM, "product").filter(natural_key__in=list(skus))}
    parent_ids = {data["parentId"] for data in products.values() if data.get("parentId")}
    parents = {row.record_id: row.data for row in store.rows(SYSTEM, "product").filter(record_id__in=list(parent_ids))} if parent_ids else {}
    left = {sku: int(data.get("stock") or 0) for sku, data in products.items()}

    new_orders = []
    outcomes = []
    now = timezone.now()
    for invoice, lines in placements:
        placed_lines = []
        for sku, (quantity, data_set_price) in sorted(lines.items()):
            product = products.get(sku)
            if product is None:
                continue
            quantity = min(quantity, left[sku])
            if quantity <= 0:
                continue
            left[sku] -= quantity
            placed_lines.append(PlacedLine(product=product, quantity=quantity, unit_gross=_unit_price(product, data_set_price, parents)))
        outcomes.append(bool(placed_lines))
        if placed_lines:
            new_orders.append(NewOrder(
                placed_lines, customer_number=invoice.customer_id, country_iso=invoice.country, placed_at=now, guest_reference=invoice.number,
            ))
    store_orders(new_orders)
    return outcomes


def cancel(invoice, lines):
    """Cancel the newest open order of the invoice's customer; False when there is none.

    A guest's cancellation names no customer, so it cannot be matched to an order and is skipped.
    """
    if invoice.is_guest:
        return False
    orders = (
        store.rows(SYSTEM, "order")
        .filter(data__orderCustomer__customerNumber=invoice.customer_id)
        .order_by("-created_at")
    )
    for row in orders[:20]:
        if row.data["stateMachineState"]["technicalName"] in CANCELLABLE_STATES:
            apply_transition("order", row.record_id, "cancel")
            return True
    return False


def place_orders(count):
    """Replay the next `count` invoices as one block; return the outcome counts.

    Consecutive new orders of the block are stored in one transaction (see place_many).
    """
    return orderstream.place_batch(SYSTEM, count, place=place, cancel=cancel, place_many=place_many)


def run(rate, count=None, progress=None):
    """Replay invoices at `rate` per second; see orderstream.run_stream."""
    return orderstream.run_stream(SYSTEM, place=place, cancel=cancel, rate=rate, count=count, progress=progress)
