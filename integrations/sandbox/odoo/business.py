"""What the simulated Odoo does on create and on its action methods, as Odoo 17 to 19 do.

Sale orders compute their amounts from their lines with the company's tax rounding setting
(per line, Odoo's default, or globally). Confirming an order creates its delivery and reserves
stock on the warehouse's quants; validating the delivery takes the stock out. Invoices and
credit notes are account.move records, numbered when posted.
"""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.money import quantize
from integrations.sandbox import store
from integrations.sandbox.odoo import records
from integrations.sandbox.odoo.records import SYSTEM, UserError

QUOTATION_STATES = ("draft", "sent")


def company():
    return records.browse("res.company", 1) or {"tax_calculation_rounding_method": "round_per_line"}


def currency_code(currency_id):
    currency = records.browse("res.currency", currency_id) if currency_id else None
    return currency["name"] if currency else "EUR"


def _decimal(value):
    return Decimal(str(value or 0))


# Sale orders


def _line_amounts(line, taxes, currency):
    """Return (base unrounded, tax unrounded, base rounded, tax rounded) of one order line."""
    total = _decimal(line["price_unit"]) * _decimal(line["product_uom_qty"]) * (1 - _decimal(line.get("discount")) / 100)
    rate = sum((_decimal(tax["amount"]) for tax in taxes), Decimal(0)) / 100
    included = any(tax.get("price_include") for tax in taxes)
    if included:
        gross = quantize(total, currency)
        base = total / (1 + rate)
        return base, total - base, quantize(base, currency), gross - quantize(base, currency)
    base = quantize(total, currency)
    tax = total * rate
    return total, tax, base, quantize(base * rate, currency)


def compute_amounts(data):
    """Set the line and order amounts of a sale order or invoice from its lines."""
    currency = currency_code(data.get("currency_id"))
    globally = company().get("tax_calculation_rounding_method") == "round_globally"
    untaxed = Decimal(0)
    tax_total = Decimal(0)
    tax_unrounded = Decimal(0)
    for line in data.get("_lines", []):
        taxes = [records.browse("account.tax", tax_id) for tax_id in line.get("tax_id", [])]
        _base_raw, tax_raw, base, tax = _line_amounts(line, [tax for tax in taxes if tax], currency)
        line["price_subtotal"] = float(base)
        line["price_tax"] = float(tax)
        line["price_total"] = float(base + tax)
        untaxed += base
        tax_total += tax
        tax_unrounded += tax_raw
    if globally:
        tax_total = quantize(tax_unrounded, currency)
    data["amount_untaxed"] = float(untaxed)
    data["amount_tax"] = float(tax_total)
    data["amount_total"] = float(untaxed + tax_total)


def _tax_ids(commands):
    """Read a many2many value written as [[6, 0, ids]] or [[4, id]] commands, or a plain id list."""
    ids = []
    for command in commands or []:
        if isinstance(command, list) and command and command[0] == 6:
            ids = list(command[2])
        elif isinstance(command, list) and command and command[0] == 4:
            ids.append(command[1])
        elif isinstance(command, int):
            ids.append(command)
    return ids


def create_sale_order(values):
    values = dict(values)
    commands = values.pop("order_line", []) or []
    pricelist = records.browse("product.pricelist", values.get("pricelist_id")) if values.get("pricelist_id") else None
    warehouse = records.search("stock.warehouse", [], limit=1, order="id asc")
    lines = []
    for command in commands:
        if not (isinstance(command, list) and len(command) == 3 and command[0] == 0):
            raise UserError("Only (0, 0, values) commands create order lines in this simulation.")
        line = dict(command[2])
        if not line.get("product_id") or records.browse("product.product", line["product_id"]) is None:
            raise UserError(f"Invalid product on an order line: {line.get('product_id')!r}")
        line["id"] = store.next_number(SYSTEM, "id:sale.order.line", start=0)
        line["tax_id"] = _tax_ids(line.get("tax_id"))
        line.setdefault("discount", 0.0)
        lines.append(line)
    if not values.get("partner_id"):
        raise UserError("The field 'Customer' (partner_id) is required.")

    number = store.next_number(SYSTEM, "sequence:sale.order", start=0)
    data = {
        "name": f"S{number:05d}",
        "state": "draft",
        "client_order_ref": False,
        "origin": False,
        "currency_id": pricelist["currency_id"] if pricelist else records.search("res.currency", [["name", "=", "EUR"]], limit=1)[0]["id"],
        "warehouse_id": warehouse[0]["id"] if warehouse else False,
        "delivery_status": False,
        "invoice_status": "no",
        **values,
        "_lines": lines,
        "order_line": [line["id"] for line in lines],
    }
    compute_amounts(data)
    return records.create("sale.order", data)


@transaction.atomic
def confirm_sale_orders(ids):
    # Each confirmation locks quants and then the picking counter. Locking the counter first
    # makes two calls that confirm several orders each wait for each other instead of deadlocking.
    store.get_row(SYSTEM, "_counter", "sequence:stock.picking", lock=True)
    for order_id in ids:
        order = records.get("sale.order", order_id, lock=True)
        if order["state"] not in QUOTATION_STATES:
            raise UserError("Some orders are not in a state requiring confirmation.")
        picking = _create_delivery(order)
        records.write("sale.order", order_id, {"state": "sale", "delivery_status": "pending", "invoice_status": "to invoice", "picking_ids": [picking["id"]]})
    return True


def _stock_location_id(warehouse_id):
    warehouse = records.browse("stock.warehouse", warehouse_id)
    return warehouse["lot_stock_id"] if warehouse else None


def _create_delivery(order):
    """Create the outgoing picking of a confirmed order and reserve what the warehouse has."""
    location_id = _stock_location_id(order.get("warehouse_id"))
    demand = {}
    for line in order["_lines"]:
        product = records.browse("product.product", line["product_id"])
        if product and product.get("type", "consu") != "service":
            demand[line["product_id"]] = demand.get(line["product_id"], Decimal(0)) + _decimal(line["product_uom_qty"])

    moves = []
    # Quants are locked in product order, so two confirmations cannot deadlock.
    for product_id in sorted(demand):
        reserved = reserve(product_id, location_id, demand[product_id])
        moves.append({"product_id": product_id, "quantity": float(demand[product_id]), "reserved": float(reserved)})

    number = store.next_number(SYSTEM, "sequence:stock.picking", start=0)
    fully_reserved = all(move["reserved"] >= move["quantity"] for move in moves)
    return records.create("stock.picking", {
        "name": f"WH/OUT/{number:05d}",
        "origin": order["name"],
        "sale_id": order["id"],
        "partner_id": order.get("partner_shipping_id") or order.get("partner_id"),
        "picking_type_code": "outgoing",
        "location_id": location_id,
        "state": "assigned" if fully_reserved else "confirmed",
        "carrier_tracking_ref": False,
        "date_done": False,
        "_moves": moves,
    })


def quant_for(product_id, location_id, *, lock=False):
    row = store.find_by_natural_key(SYSTEM, "stock.quant", f"{product_id}@{location_id}")
    if row is None:
        return None
    return records.browse("stock.quant", row.data["id"], lock=lock)


def reserve(product_id, location_id, quantity):
    """Reserve up to `quantity` of a product on its quant; return what was reserved."""
    quant = quant_for(product_id, location_id, lock=True)
    if quant is None:
        return Decimal(0)
    free = max(_decimal(quant["quantity"]) - _decimal(quant["reserved_quantity"]), Decimal(0))
    taken = min(free, quantity)
    if taken:
        records.write("stock.quant", quant["id"], {"reserved_quantity": float(_decimal(quant["reserved_quantity"]) + taken)})
    return taken


def _unreserve(product_id, location_id, quantity):
    quant = quant_for(product_id, location_id, lock=True)
    if quant is not None and quantity:
        reserved = max(_decimal(quant["reserved_quantity"]) - _decimal(quantity), Decimal(0))
        records.write("stock.quant", quant["id"], {"reserved_quantity": float(reserved)})


@transaction.atomic
def cancel_sale_orders(ids):
    for order_id in ids:
        order = records.get("sale.order", order_id, lock=True)
        for picking_id in order.get("picking_ids", []):
            picking = records.get("stock.picking", picking_id, lock=True)
            if picking["state"] == "done":
                raise UserError("You cannot cancel a sale order with a done delivery. Return the goods first.")
            for move in sorted(picking["_moves"], key=lambda move: move["product_id"]):
                _unreserve(move["product_id"], picking["location_id"], move["reserved"])
            records.write("stock.picking", picking_id, {"state": "cancel"})
        records.write("sale.order", order_id, {"state": "cancel"})
    return True


def lock_sale_orders(ids):
    """action_done of Odoo 16 and earlier: the order becomes locked (state done)."""
    for order_id in ids:
        order = records.get("sale.order", order_id, lock=True)
        if order["state"] != "sale":
            raise UserError("Only confirmed orders can be locked.")
        records.write("sale.order", order_id, {"state": "done"})
    return True


def unlink_sale_orders(ids):
    for order_id in ids:
        order = records.get("sale.order", order_id)
        if order["state"] not in ("draft", "cancel"):
            raise UserError("You can not delete a sent quotation or a confirmed sales order. You must first cancel it.")
        records.unlink("sale.order", order_id)
    return True


# Deliveries


@transaction.atomic
def validate_pickings(ids):
    """button_validate: take the delivered quantities out of stock and update the order."""
    for picking_id in ids:
        picking = records.get("stock.picking", picking_id, lock=True)
        if picking["state"] in ("done", "cancel"):
            raise UserError(f"Delivery {picking['name']} is already {picking['state']}.")
        for move in sorted(picking["_moves"], key=lambda move: move["product_id"]):
            quant = quant_for(move["product_id"], picking["location_id"], lock=True)
            if quant is None:
                quant = _create_quant(move["product_id"], picking["location_id"], 0)
            records.write("stock.quant", quant["id"], {
                "quantity": float(_decimal(quant["quantity"]) - _decimal(move["quantity"])),
                "reserved_quantity": float(max(_decimal(quant["reserved_quantity"]) - _decimal(move["reserved"]), Decimal(0))),
            })
        records.write("stock.picking", picking_id, {"state": "done", "date_done": records.format_datetime(timezone.now())})
        if picking.get("sale_id"):
            _update_delivery_status(picking["sale_id"])
    return True


def _update_delivery_status(order_id):
    order = records.get("sale.order", order_id, lock=True)
    states = [records.get("stock.picking", picking_id)["state"] for picking_id in order.get("picking_ids", [])]
    done = [state for state in states if state == "done"]
    if not done:
        status = "pending"
    elif len(done) == len(states):
        status = "full"
    else:
        status = "partial"
    records.write("sale.order", order_id, {"delivery_status": status})


# Stock


def _create_quant(product_id, location_id, quantity):
    location = records.browse("stock.location", location_id) or {}
    return records.create("stock.quant", {
        "product_id": product_id,
        "location_id": location_id,
        "warehouse_id": location.get("warehouse_id") or False,
        "quantity": float(quantity),
        "reserved_quantity": 0.0,
        "inventory_quantity": 0.0,
        "inventory_quantity_set": False,
    })


def create_quant(values):
    """stock.quant create in inventory mode: one quant per product and location."""
    existing = quant_for(values.get("product_id"), values.get("location_id"), lock=True)
    if existing is not None:
        raise UserError("A quant for this product and location exists; write its inventory_quantity instead.")
    quant = _create_quant(values["product_id"], values["location_id"], 0)
    if "inventory_quantity" in values:
        quant = records.write("stock.quant", quant["id"], {"inventory_quantity": values["inventory_quantity"], "inventory_quantity_set": True})
    return quant


@transaction.atomic
def apply_inventory(ids):
    """action_apply_inventory: the counted inventory_quantity becomes the quantity."""
    for quant_id in sorted(ids):
        quant = records.get("stock.quant", quant_id, lock=True)
        records.write("stock.quant", quant_id, {"quantity": quant["inventory_quantity"], "inventory_quantity_set": False})
    return True


@transaction.atomic
def set_on_hand(product_id, location_id, quantity):
    """Set a product's quantity in a location, as an inventory adjustment does; return the quant."""
    quant = quant_for(product_id, location_id, lock=True)
    if quant is None:
        return _create_quant(product_id, location_id, quantity)
    return records.write("stock.quant", quant["id"], {"quantity": float(quantity)})


# Invoices and credit notes


@transaction.atomic
def invoice_sale_order(order_id, *, refund=False):
    """Create and post the invoice (or a full credit note) of a sale order; return the move."""
    order = records.get("sale.order", order_id, lock=True)
    if order["state"] not in ("sale", "done"):
        raise UserError("Only confirmed orders can be invoiced.")
    move = records.create("account.move", {
        "name": "/",
        "move_type": "out_refund" if refund else "out_invoice",
        "state": "draft",
        "partner_id": order["partner_invoice_id"] or order["partner_id"],
        "currency_id": order["currency_id"],
        "invoice_origin": order["name"],
        "ref": order.get("client_order_ref") or False,
        "invoice_date": timezone.now().date().isoformat(),
        "amount_untaxed": order["amount_untaxed"],
        "amount_tax": order["amount_tax"],
        "amount_total": order["amount_total"],
    })
    post_moves([move["id"]])
    records.write("sale.order", order_id, {"invoice_status": "invoiced"})
    return records.get("account.move", move["id"])


def post_moves(ids):
    for move_id in ids:
        move = records.get("account.move", move_id, lock=True)
        if move["state"] != "draft":
            raise UserError("Only draft journal entries can be posted.")
        prefix = "RINV" if move["move_type"] == "out_refund" else "INV"
        year = timezone.now().year
        number = store.next_number(SYSTEM, f"sequence:{prefix}/{year}", start=0)
        records.write("account.move", move_id, {"state": "posted", "name": f"{prefix}/{year}/{number:05d}"})
    return True
