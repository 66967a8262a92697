"""The order stream of the simulated shop: replayed invoices become Shopware orders.

A line is sold only if the shop has the product and stock for it, as a shop with stock
management does: the quantity is capped at the product's stock and a line without stock is
left out. The unit price is the product's gross price in the default currency, or the data
set's price when the product has none.
"""

from decimal import Decimal

from django.utils import timezone

from integrations.sandbox import orderstream, store
from integrations.sandbox.shopware.orders import PlacedLine, apply_transition, place_order
from integrations.sandbox.shopware.state import DEFAULT_CURRENCY, SYSTEM, currency_id

FALLBACK_PRICE = Decimal("1.00")
CANCELLABLE_STATES = ("open", "in_progress")


def _unit_price(product, data_set_price):
    for price in product.get("price") or []:
        if price.get("currencyId") == currency_id(DEFAULT_CURRENCY) and price.get("gross"):
            return Decimal(str(price["gross"]))
    if product.get("parentId"):
        parent = store.get(SYSTEM, "product", product["parentId"]) or {}
        return _unit_price({"price": parent.get("price")}, data_set_price)
    return data_set_price if data_set_price > 0 else FALLBACK_PRICE


def place(invoice, lines):
    """Place an order for an invoice's mapped lines; return False when nothing is in stock."""
    placed_lines = []
    rows = {row.natural_key: row for row in store.rows(SYSTEM, "product").filter(natural_key__in=list(lines))}
    for sku, (quantity, data_set_price) in sorted(lines.items()):
        row = rows.get(sku)
        if row is None:
            continue
        quantity = min(quantity, int(row.data.get("stock") or 0))
        if quantity <= 0:
            continue
        placed_lines.append(PlacedLine(product=row.data, quantity=quantity, unit_gross=_unit_price(row.data, data_set_price)))
    if not placed_lines:
        return False
    place_order(placed_lines, customer_number=invoice.customer_id, country_iso=invoice.country, placed_at=timezone.now())
    return True


def cancel(invoice, lines):
    """Cancel the newest open order of the invoice's customer; False when there is none."""
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
    """Replay the next `count` invoices at once; return the outcome counts."""
    return orderstream.place_batch(SYSTEM, count, place=place, cancel=cancel)


def run(rate, count=None, progress=None):
    """Replay invoices at `rate` per second; see orderstream.run_stream."""
    return orderstream.run_stream(SYSTEM, place=place, cancel=cancel, rate=rate, count=count, progress=progress)
