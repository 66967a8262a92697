"""Orders of the simulated shop: placing one, reading it with associations, state transitions.

An order is stored as four kinds of records, like Shopware's tables: order, order_line_item,
order_delivery and order_transaction (the child records keep the order id as natural key).
Reading assembles the associations that the criteria request. Amounts are JSON numbers, as
the Admin API sends them, computed here from Decimals and rounded per line (itemRounding).
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from integrations.sandbox import store
from integrations.sandbox.shopware import customers, events
from integrations.sandbox.shopware.state import (
    DEFAULT_CURRENCY,
    DEFAULT_LANGUAGE_ID,
    SYSTEM,
    countries,
    currency_id,
    ensure_seeded,
    new_id,
    now_iso,
    sales_channel_id,
    seed_id,
)
from integrations.sandbox.shopware.writes import write_error

CENT = Decimal("0.01")
TAX_RATE = Decimal(19)
SHIPPING_GROSS = Decimal("4.90")

# State machines: {machine: {from state: {transition: to state}}}, as in a standard installation.
STATE_MACHINES = {
    "order.state": {
        "open": {"process": "in_progress", "cancel": "cancelled", "complete": "completed"},
        "in_progress": {"complete": "completed", "cancel": "cancelled"},
        "completed": {"reopen": "open"},
        "cancelled": {"reopen": "open"},
    },
    "order_delivery.state": {
        "open": {"ship": "shipped", "ship_partially": "shipped_partially", "cancel": "cancelled"},
        "shipped_partially": {"ship": "shipped", "retour_partially": "returned_partially", "cancel": "cancelled"},
        "shipped": {"retour": "returned", "retour_partially": "returned_partially", "cancel": "cancelled"},
        "returned_partially": {"retour": "returned", "cancel": "cancelled"},
        "returned": {"reopen": "open"},
        "cancelled": {"reopen": "open"},
    },
    "order_transaction.state": {
        "open": {"paid": "paid", "paid_partially": "paid_partially", "authorize": "authorized", "cancel": "cancelled", "fail": "failed", "remind": "reminded", "process": "in_progress"},
        "in_progress": {"paid": "paid", "fail": "failed", "cancel": "cancelled", "authorize": "authorized"},
        "authorized": {"paid": "paid", "paid_partially": "paid_partially", "cancel": "cancelled"},
        "reminded": {"paid": "paid", "paid_partially": "paid_partially", "cancel": "cancelled"},
        "paid_partially": {"paid": "paid", "refund_partially": "refunded_partially", "refund": "refunded"},
        "paid": {"refund": "refunded", "refund_partially": "refunded_partially", "cancel": "cancelled"},
        "refunded_partially": {"refund": "refunded"},
        "failed": {"reopen": "open", "paid": "paid"},
        "cancelled": {"reopen": "open"},
    },
}
MACHINE_OF = {"order": "order.state", "order_delivery": "order_delivery.state", "order_transaction": "order_transaction.state"}
ORDER_ASSOCIATIONS = {"lineItems": "order_line_item", "deliveries": "order_delivery", "transactions": "order_transaction"}


def state(machine, technical_name):
    return {"id": seed_id("state", machine, technical_name), "technicalName": technical_name, "name": technical_name.replace("_", " ").title(), "apiAlias": "state_machine_state"}


def _money(value):
    return float(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _calculated_price(unit_gross, quantity):
    total = (unit_gross * quantity).quantize(CENT, rounding=ROUND_HALF_UP)
    net = (total * 100 / (100 + TAX_RATE)).quantize(CENT, rounding=ROUND_HALF_UP)
    tax = total - net
    return total, net, tax, {
        "unitPrice": _money(unit_gross),
        "quantity": quantity,
        "totalPrice": _money(total),
        "calculatedTaxes": [{"tax": _money(tax), "taxRate": float(TAX_RATE), "price": _money(total), "apiAlias": "cart_tax_calculated"}],
        "taxRules": [{"taxRate": float(TAX_RATE), "percentage": 100.0, "apiAlias": "cart_tax_rule"}],
        "referencePrice": None,
        "listPrice": None,
        "apiAlias": "calculated_price",
    }


@dataclass
class PlacedLine:
    product: dict  # the shop's product record
    quantity: int
    unit_gross: Decimal


@dataclass
class NewOrder:
    """An order to place: its lines, customer number, country (ISO 3166 code) and order time.

    An empty customer number makes a guest order, whose buyer is derived from `guest_reference`
    (the invoice number of a replayed invoice), or from the order number when that is empty too.
    """

    lines: list  # of PlacedLine
    customer_number: str
    country_iso: str
    placed_at: object  # aware datetime
    order_number: str | None = None
    guest_reference: str = ""


def place_order(lines, *, customer_number, country_iso, placed_at, order_number=None, guest_reference=""):
    """Store a new order with its lines, delivery and transaction and decrement stock.

    Returns the assembled order. Sends checkout.order.placed to subscribed app webhooks after
    the transaction commits.
    """
    return place_orders([NewOrder(lines, customer_number, country_iso, placed_at, order_number, guest_reference)])[0]


@transaction.atomic
def place_orders(new_orders):
    """Store many new orders (NewOrder) in one transaction and decrement stock once for all.

    Returns the assembled orders in the given order. Each order gets its own webhooks
    (checkout.order.placed, order.written) after the transaction commits, one POST per order
    and event as Shopware sends them. Costs a fixed number of queries, whatever the count.
    """
    if not new_orders:
        return []
    ensure_seeded()
    missing_numbers = sum(1 for new_order in new_orders if not new_order.order_number)
    numbers = iter(store.next_numbers(SYSTEM, "order_number", missing_numbers))
    places = countries({new_order.country_iso for new_order in new_orders})
    now = now_iso()

    built = [
        _build_order(new_order, new_order.order_number or str(next(numbers)), places[new_order.country_iso], now)
        for new_order in new_orders
    ]
    store.insert_many(SYSTEM, "order_line_item", [(item["id"], item, order["id"]) for order, *_rest in built for item in order["lineItems"]])
    store.insert_many(SYSTEM, "order_delivery", [(order["deliveries"][0]["id"], order["deliveries"][0], order["id"]) for order, *_rest in built])
    store.insert_many(SYSTEM, "order_transaction", [(order["transactions"][0]["id"], order["transactions"][0], order["id"]) for order, *_rest in built])
    sold = {}
    for _order, _stored, order_sold in built:
        for product_id, quantity in order_sold.items():
            sold[product_id] = sold.get(product_id, 0) + quantity
    _decrement_stocks(sold)
    store.insert_many(SYSTEM, "order", [(order["id"], stored, order["orderNumber"]) for order, stored, _sold in built])

    def send_events():
        outgoing = []
        for order, stored, _sold in built:
            outgoing.append(("checkout.order.placed", {"order": order}))
            outgoing.append(("order.written", events.written_payload("order", order["id"], "insert", sorted(stored))))
        events.emit_many(outgoing)

    transaction.on_commit(send_events)
    return [order for order, _stored, _sold in built]


def _build_order(new_order, order_number, place, now):
    """Return (assembled order, stored order document, {product id: quantity sold}) of a new order."""
    order_id = new_id()
    placed = new_order.placed_at.isoformat(timespec="milliseconds")
    buyer = customers.buyer_for(new_order.customer_number, new_order.guest_reference or order_number)

    positions_gross = positions_net = positions_tax = Decimal(0)
    sold = {}
    line_items = []
    for position, line in enumerate(new_order.lines, start=1):
        total, net, tax, price = _calculated_price(line.unit_gross, line.quantity)
        positions_gross, positions_net, positions_tax = positions_gross + total, positions_net + net, positions_tax + tax
        line_id = new_id()
        line_items.append({
            "id": line_id, "orderId": order_id, "identifier": line.product["id"], "referencedId": line.product["id"],
            "productId": line.product["id"], "type": "product", "label": line.product.get("name") or line.product["productNumber"],
            "quantity": line.quantity, "unitPrice": _money(line.unit_gross), "totalPrice": _money(total),
            "price": price, "payload": {"productNumber": line.product["productNumber"]}, "position": position,
            "good": True, "removable": True, "stackable": True, "apiAlias": "order_line_item", "createdAt": now, "updatedAt": None,
        })
        sold[line.product["id"]] = sold.get(line.product["id"], 0) + line.quantity

    shipping_total, shipping_net, shipping_tax, shipping_price = _calculated_price(SHIPPING_GROSS, 1)
    total = positions_gross + shipping_total
    address = customers.order_address(buyer, seed_id("address", order_id, "billing"), place)
    delivery_id, transaction_id = new_id(), new_id()
    delivery = {
        "id": delivery_id, "orderId": order_id, "trackingCodes": [], "shippingCosts": shipping_price,
        "shippingOrderAddress": customers.order_address(buyer, seed_id("address", order_id, "shipping"), place),
        "stateId": state("order_delivery.state", "open")["id"], "stateMachineState": state("order_delivery.state", "open"),
        "shippingDateEarliest": placed, "shippingDateLatest": placed, "apiAlias": "order_delivery", "createdAt": now, "updatedAt": None,
    }
    payment = {
        "id": transaction_id, "orderId": order_id, "amount": {**shipping_price, "unitPrice": _money(total), "quantity": 1, "totalPrice": _money(total)},
        "paymentMethodId": seed_id("payment_method", "invoice"),
        "paymentMethod": {"id": seed_id("payment_method", "invoice"), "name": "Invoice", "technicalName": "payment_invoice", "apiAlias": "payment_method"},
        "stateId": state("order_transaction.state", "open")["id"], "stateMachineState": state("order_transaction.state", "open"),
        "apiAlias": "order_transaction", "createdAt": now, "updatedAt": None,
    }

    rounding = {"decimals": 2, "interval": 0.01, "roundForNet": True, "apiAlias": "shopware_core_framework_data_abstraction_layer_pricing_cash_rounding_config"}
    order = {
        "id": order_id, "orderNumber": order_number, "orderDateTime": placed, "orderDate": placed[:10],
        "currencyId": currency_id(DEFAULT_CURRENCY), "currencyFactor": 1.0,
        "currency": {"id": currency_id(DEFAULT_CURRENCY), "isoCode": DEFAULT_CURRENCY, "apiAlias": "currency"},
        "salesChannelId": sales_channel_id(), "languageId": DEFAULT_LANGUAGE_ID,
        "billingAddressId": address["id"], "billingAddress": address,
        "price": {
            "netPrice": _money(positions_net + shipping_net), "totalPrice": _money(total), "positionPrice": _money(positions_gross),
            "rawTotal": _money(total), "taxStatus": "gross",
            "calculatedTaxes": [{"tax": _money(positions_tax + shipping_tax), "taxRate": float(TAX_RATE), "price": _money(total), "apiAlias": "cart_tax_calculated"}],
            "taxRules": [{"taxRate": float(TAX_RATE), "percentage": 100.0, "apiAlias": "cart_tax_rule"}],
            "apiAlias": "cart_price",
        },
        "amountTotal": _money(total), "amountNet": _money(positions_net + shipping_net), "positionPrice": _money(positions_gross),
        "taxStatus": "gross", "shippingTotal": _money(shipping_total), "shippingCosts": shipping_price,
        "itemRounding": rounding, "totalRounding": rounding,
        "orderCustomer": customers.order_customer(buyer, order_id, now),
        "stateId": state("order.state", "open")["id"], "stateMachineState": state("order.state", "open"),
        "customerComment": None, "customFields": None, "apiAlias": "order", "createdAt": now, "updatedAt": None,
    }

    # The order as assemble() would read it back: line items by position, one delivery and transaction.
    assembled = {**order, "lineItems": [dict(item) for item in line_items], "deliveries": [dict(delivery)], "transactions": [dict(payment)]}
    return assembled, order, sold



def _restock(order_id):
    """Give a cancelled order's quantities back to stock, as Shopware's stock handling does."""
    returned = {}
    for row in store.rows(SYSTEM, "order_line_item").filter(natural_key=order_id):
        if row.data.get("productId"):
            returned[row.data["productId"]] = returned.get(row.data["productId"], 0) - int(row.data["quantity"])
    # In product id order, as placing an order takes stock out, or the two can deadlock.
    _decrement_stocks(returned)


def _decrement_stocks(sold):
    """Take the sold quantities ({product id: quantity}) out of stock, products locked in id order.

    The Sync API's stock write (api.py) locks products in record id order too, so the two
    cannot deadlock each other.
    """
    rows = store.rows(SYSTEM, "product").filter(record_id__in=list(sold)).select_for_update().order_by("record_id")
    changed = []
    for row in rows:
        quantity = sold[row.record_id]
        data = dict(row.data)
        data["stock"] = int(data.get("stock") or 0) - quantity
        data["availableStock"] = data["stock"]
        data["sales"] = int(data.get("sales") or 0) + quantity
        row.data = data
        changed.append(row)
    # A sale changes stock but not the product's updatedAt in Shopware's stock handling.
    store.update_data(changed)


def assemble(orders, associations):
    """Return orders with the requested to-many associations (lineItems, deliveries, transactions)."""
    wanted = {name: entity for name, entity in ORDER_ASSOCIATIONS.items() if name in (associations or {})}
    if not wanted or not orders:
        return [dict(order) for order in orders]
    order_ids = [order["id"] for order in orders]
    children = {}
    for name, entity in wanted.items():
        grouped = {}
        for row in store.rows(SYSTEM, entity).filter(natural_key__in=order_ids).order_by("created_at", "record_id"):
            grouped.setdefault(row.natural_key, []).append(row.data)
        children[name] = grouped
    result = []
    for order in orders:
        assembled = dict(order)
        for name in wanted:
            items = children[name].get(order["id"], [])
            if name == "lineItems":
                items = sorted(items, key=lambda item: item.get("position", 0))
            assembled[name] = items
        result.append(assembled)
    return result


class TransitionError(Exception):
    def __init__(self, status, error):
        super().__init__(error["detail"])
        self.status = status
        self.error = error


@transaction.atomic
def apply_transition(entity, record_id, transition):
    """Move an order, delivery or transaction along its state machine; return the new state.

    Raises TransitionError (404 unknown record, 400 transition not allowed from the current state).
    """
    machine = MACHINE_OF[entity]
    row = store.get_row(SYSTEM, entity, record_id, lock=True)
    if row is None:
        raise TransitionError(404, write_error("FRAMEWORK__ENTITY_NOT_FOUND", f"{entity} with id {record_id} not found.", ""))
    current = row.data["stateMachineState"]["technicalName"]
    target = STATE_MACHINES[machine].get(current, {}).get(transition)
    if target is None:
        allowed = sorted(STATE_MACHINES[machine].get(current, {}))
        raise TransitionError(400, write_error(
            "SYSTEM__ILLEGAL_STATE_TRANSITION",
            f'Illegal transition "{transition}" from state "{current}". Possible transitions are: {", ".join(allowed)}',
            "",
        ))

    new_state = state(machine, target)
    data = dict(row.data)
    data.update({"stateId": new_state["id"], "stateMachineState": new_state, "updatedAt": now_iso()})
    store.put(SYSTEM, entity, record_id, data, natural_key=row.natural_key)

    order_id = record_id if entity == "order" else data["orderId"]
    if entity == "order" and target == "cancelled":
        _restock(order_id)
    payload_order = _order_with_associations(order_id)
    transaction.on_commit(lambda: events.emit(f"state_enter.{machine}.{target}", {"order": payload_order}))
    transaction.on_commit(lambda: events.emit(f"{entity}.written", events.written_payload(entity, record_id, "update", ["stateId"])))
    return new_state


def _order_with_associations(order_id):
    order = store.get(SYSTEM, "order", order_id)
    return assemble([order], {name: {} for name in ORDER_ASSOCIATIONS})[0]
