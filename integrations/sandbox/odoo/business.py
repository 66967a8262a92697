"""What the simulated Odoo does on create and on its action methods, as Odoo 17 to 19 do.

Sale orders compute their amounts from their lines with the company's tax rounding setting
(per line, Odoo's default, or globally). Confirming an order creates its delivery and reserves
stock on the warehouse's quants; validating the delivery takes the stock out. Invoices and
credit notes are account.move records, numbered when posted.
"""

from decimal import Decimal

from django.db import transaction
from django.db.models import BigIntegerField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone

from core.money import quantize
from integrations.sandbox import store
from integrations.sandbox.models import SandboxRecord
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


def compute_amounts(data, *, taxes=None, rounding=None, currencies=None):
    """Set the line and order amounts of a sale order or invoice from its lines.

    `taxes` ({id: tax}), `rounding` (the company's tax rounding method) and `currencies`
    ({id: currency}) may be passed by a caller that computes many orders, so they are read once.
    """
    currency_id = data.get("currency_id")
    if currencies is not None and currency_id in currencies:
        currency = currencies[currency_id]["name"]
    else:
        currency = currency_code(currency_id)
    if rounding is None:
        rounding = company().get("tax_calculation_rounding_method")
    globally = rounding == "round_globally"
    if taxes is None:
        taxes = records.browse_many("account.tax", [tax_id for line in data.get("_lines", []) for tax_id in line.get("tax_id", [])])
    untaxed = Decimal(0)
    tax_total = Decimal(0)
    tax_unrounded = Decimal(0)
    for line in data.get("_lines", []):
        line_taxes = [taxes[tax_id] for tax_id in line.get("tax_id", []) if tax_id in taxes]
        _base_raw, tax_raw, base, tax = _line_amounts(line, line_taxes, currency)
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
    return create_sale_orders([values])[0]


def create_sale_orders(vals_list):
    """Create sale orders with their lines, all or none; return their data.

    Every order is checked before any is stored, and the products, taxes, pricelists and
    counters are read once for all of them, so a batch costs about ten queries.
    """
    vals_list = [dict(values) for values in vals_list]
    commands_list = [values.pop("order_line", []) or [] for values in vals_list]
    for commands in commands_list:
        for command in commands:
            if not (isinstance(command, list) and len(command) == 3 and command[0] == 0):
                raise UserError("Only (0, 0, values) commands create order lines in this simulation.")
    product_ids = [command[2].get("product_id") for commands in commands_list for command in commands]
    products = records.browse_many("product.product", [product_id for product_id in product_ids if product_id])
    for product_id in product_ids:
        if not product_id or product_id not in products:
            raise UserError(f"Invalid product on an order line: {product_id!r}")
    for values in vals_list:
        if not values.get("partner_id"):
            raise UserError("The field 'Customer' (partner_id) is required.")

    pricelists = records.browse_many("product.pricelist", [values["pricelist_id"] for values in vals_list if values.get("pricelist_id")])
    warehouse = records.search("stock.warehouse", [], limit=1, order="id asc")
    default_currency = None
    if any(not values.get("pricelist_id") for values in vals_list):
        default_currency = records.search("res.currency", [["name", "=", "EUR"]], limit=1)[0]["id"]
    line_ids = iter(store.next_numbers(SYSTEM, "id:sale.order.line", len(product_ids), start=0))
    numbers = store.next_numbers(SYSTEM, "sequence:sale.order", len(vals_list), start=0)
    taxes = records.browse_many("account.tax", [
        tax_id for commands in commands_list for command in commands for tax_id in _tax_ids(command[2].get("tax_id"))
    ])
    rounding = company().get("tax_calculation_rounding_method")
    currencies = records.browse_many("res.currency", {
        pricelist["currency_id"] for pricelist in pricelists.values() if pricelist.get("currency_id")
    } | ({default_currency} if default_currency else set()))

    datas = []
    for values, commands, number in zip(vals_list, commands_list, numbers, strict=True):
        lines = []
        for command in commands:
            line = dict(command[2])
            line["id"] = next(line_ids)
            line["tax_id"] = _tax_ids(line.get("tax_id"))
            line.setdefault("discount", 0.0)
            lines.append(line)
        pricelist = pricelists.get(values.get("pricelist_id"))
        data = {
            "name": f"S{number:05d}",
            "state": "draft",
            "client_order_ref": False,
            "origin": False,
            "currency_id": pricelist["currency_id"] if pricelist else default_currency,
            "warehouse_id": warehouse[0]["id"] if warehouse else False,
            "delivery_status": False,
            "invoice_status": "no",
            **values,
            "_lines": lines,
            "order_line": [line["id"] for line in lines],
        }
        compute_amounts(data, taxes=taxes, rounding=rounding, currencies=currencies)
        datas.append(data)
    return records.create_many("sale.order", datas)


@transaction.atomic
def confirm_sale_orders(ids):
    # Each confirmation locks quants and then the picking counter. Locking the counter first
    # makes two calls that confirm several orders each wait for each other instead of deadlocking.
    store.get_row(SYSTEM, "_counter", "sequence:stock.picking", lock=True)
    rows = records.lock_many("sale.order", ids)
    for order_id in ids:
        if order_id not in rows:
            raise records.MissingError(f"Record does not exist or has been deleted. (Record: sale.order({order_id},))")
        if rows[order_id].data["state"] not in QUOTATION_STATES:
            raise UserError("Some orders are not in a state requiring confirmation.")

    orders = [rows[order_id].data for order_id in dict.fromkeys(ids)]
    pickings = _create_deliveries(orders)
    for order, picking in zip(orders, pickings, strict=True):
        order.update({"state": "sale", "delivery_status": "pending", "invoice_status": "to invoice", "picking_ids": [picking["id"]]})
    records.write_rows("sale.order", [rows[order["id"]] for order in orders])
    return True


def _create_deliveries(orders):
    """Create the outgoing pickings of confirmed orders and reserve what their warehouses have.

    The quants of all orders are locked at once, in product order, and reserved order by order.
    """
    warehouses = records.browse_many("stock.warehouse", [order.get("warehouse_id") for order in orders if order.get("warehouse_id")])
    products = records.browse_many("product.product", [line["product_id"] for order in orders for line in order["_lines"]])
    demands = []
    for order in orders:
        warehouse = warehouses.get(order.get("warehouse_id"))
        location_id = warehouse["lot_stock_id"] if warehouse else None
        demand = {}
        for line in order["_lines"]:
            product = products.get(line["product_id"])
            if product and product.get("type", "consu") != "service":
                demand[line["product_id"]] = demand.get(line["product_id"], Decimal(0)) + _decimal(line["product_uom_qty"])
        demands.append((location_id, demand))

    quants = _lock_quants({(product_id, location_id) for location_id, demand in demands for product_id in demand})
    changed = {}
    values_list = []
    numbers = store.next_numbers(SYSTEM, "sequence:stock.picking", len(orders), start=0)
    for order, (location_id, demand), number in zip(orders, demands, numbers, strict=True):
        moves = []
        for product_id in sorted(demand):
            row = quants.get((product_id, location_id))
            reserved = Decimal(0)
            if row is not None:
                quant = row.data
                free = max(_decimal(quant["quantity"]) - _decimal(quant["reserved_quantity"]), Decimal(0))
                reserved = min(free, demand[product_id])
                if reserved:
                    quant["reserved_quantity"] = float(_decimal(quant["reserved_quantity"]) + reserved)
                    changed[row.pk] = row
            moves.append({"product_id": product_id, "quantity": float(demand[product_id]), "reserved": float(reserved)})
        fully_reserved = all(move["reserved"] >= move["quantity"] for move in moves)
        values_list.append({
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
    records.write_rows("stock.quant", list(changed.values()))
    return records.create_many("stock.picking", values_list)


def _lock_quants(keys):
    """Lock the quants of (product id, location id) pairs in product order; return {pair: row}."""
    if not keys:
        return {}
    rows = (
        SandboxRecord.objects.select_for_update()
        .filter(system=SYSTEM, collection="stock.quant", natural_key__in=[f"{product_id}@{location_id}" for product_id, location_id in keys])
        .order_by(Cast(KeyTextTransform("product_id", "data"), BigIntegerField()), Cast("record_id", BigIntegerField()))
    )
    return {(row.data["product_id"], row.data["location_id"]): row for row in rows}


def quant_for(product_id, location_id, *, lock=False):
    row = store.find_by_natural_key(SYSTEM, "stock.quant", f"{product_id}@{location_id}")
    if row is None:
        return None
    return records.browse("stock.quant", row.data["id"], lock=lock)


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
