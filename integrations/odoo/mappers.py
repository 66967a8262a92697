"""Odoo records to canonical values and back. Pure functions: no HTTP, no database writes.

Money: Odoo sends and expects JSON floats, rounded per currency. Amounts are read into Decimal
through their shortest text form and rounded to the currency's minor unit. Amounts sent are
rounded to the minor unit first, so the float's shortest text form is exactly that amount.

Time: Odoo datetimes are "YYYY-MM-DD HH:MM:SS" in UTC without a zone, whatever the user's time
zone (the user's `tz` only affects its web client).

Order totals: Kontor keeps the totals the shop computed. Each shop line is sent with the
amount the shop priced it in (gross when the shop's prices include tax, else net) split into at
most two Odoo lines whose unit prices, at the currency's precision, multiply out to exactly the
shop's line total: 3 units for 10.00 become 2 x 3.33 and 1 x 3.34. Odoo then computes tax from
those lines with its own rounding setting. With gross prices and Odoo's default per-line
rounding the Odoo total equals the shop's total to the cent. Where the two systems round tax
differently (net prices, or Odoo set to round globally) the totals can differ by a cent, so
the connector reads Odoo's total back after creating the order and flags any difference.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from core.money import from_minor_units, quantize, to_minor_units
from orders.models import DocumentKind, OrderStatus

ODOO_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"

# Product that carries the shipping charge of an order in Odoo, created when missing.
SHIPPING_PRODUCT_CODE = "KONTOR-SHIPPING"

SALE_ORDER_FIELDS = ["name", "state", "client_order_ref", "delivery_status", "amount_total", "amount_untaxed", "amount_tax", "currency_id", "write_date"]
QUANT_FIELDS = ["product_id", "location_id", "warehouse_id", "quantity", "reserved_quantity", "write_date"]
MOVE_FIELDS = ["name", "move_type", "state", "invoice_origin", "ref", "invoice_date", "amount_untaxed", "amount_tax", "amount_total", "currency_id", "write_date"]
PICKING_FIELDS = ["name", "state", "origin", "sale_id", "picking_type_code", "carrier_tracking_ref", "date_done", "write_date"]

MOVE_KINDS = {"out_invoice": DocumentKind.INVOICE, "out_refund": DocumentKind.CREDIT_NOTE}

# Report that renders each document kind as a PDF in Odoo.
REPORT_NAMES = {
    DocumentKind.INVOICE: "account.report_invoice",
    DocumentKind.CREDIT_NOTE: "account.report_invoice",
    DocumentKind.DELIVERY_NOTE: "stock.report_deliveryslip",
}


# Scalars


def to_amount(value, currency):
    """Read an Odoo float amount as a Decimal rounded to the currency's minor unit."""
    if value is None or value is False:
        return None
    return quantize(Decimal(str(value)), currency)


def to_wire_amount(amount, currency):
    """Return a Decimal amount as the JSON number Odoo expects, rounded to the minor unit first."""
    return float(quantize(amount, currency))


def parse_datetime(value):
    """Read an Odoo datetime text as an aware UTC datetime; False or empty gives None."""
    if not value:
        return None
    return datetime.strptime(value, ODOO_DATETIME_FORMAT).replace(tzinfo=UTC)


def format_datetime(value):
    return value.astimezone(UTC).strftime(ODOO_DATETIME_FORMAT)


def many2one_id(value):
    """Return the id of a many2one read as [id, "display name"], or None for False."""
    if isinstance(value, (list, tuple)) and value:
        return value[0]
    return value or None


def many2one_name(value):
    if isinstance(value, (list, tuple)) and len(value) > 1:
        return value[1]
    return ""


# Orders to Odoo


@dataclass(frozen=True)
class OdooLine:
    """One sale.order line as Kontor sends it: quantity times unit price is the exact total."""

    sku: str
    name: str
    quantity: Decimal
    price_unit: Decimal
    tax_rate: Decimal


def split_line(sku, name, quantity, line_total, tax_rate, currency):
    """Return one or two lines whose unit prices at the currency's precision add up exactly.

    A fractional quantity cannot be split into whole units, so it gives one line with the
    rounded unit price; the total check after creation catches a difference.
    """
    quantity = Decimal(quantity)
    if quantity <= 0:
        raise ValueError(f"quantity of {sku} must be greater than zero, got {quantity}")
    if quantity != quantity.to_integral_value():
        return [OdooLine(sku, name, quantity, quantize(line_total / quantity, currency), tax_rate)]

    units = int(quantity)
    base, remainder = divmod(to_minor_units(quantize(line_total, currency), currency), units)
    lines = []
    if units - remainder:
        lines.append(OdooLine(sku, name, Decimal(units - remainder), from_minor_units(base, currency), tax_rate))
    if remainder:
        lines.append(OdooLine(sku, name, Decimal(remainder), from_minor_units(base + 1, currency), tax_rate))
    return lines


def shipping_tax_rate(order, lines):
    """Return the tax rate of the shipping charge: the line rate that matches its tax, else the highest.

    Shops in the EU charge shipping at the rate of the goods; the shop sends only the amounts.
    """
    rates = sorted({line.tax_rate for line in lines}, reverse=True) or [Decimal(0)]
    if order.shipping_net:
        for rate in rates:
            if quantize(order.shipping_net * rate / 100, order.currency) == order.shipping_tax:
                return rate
    return rates[0]


def odoo_lines(order, order_lines):
    """Return the Odoo lines for an order's lines and its shipping, in the shop's price basis."""
    gross = order.prices_include_tax
    result = []
    for line in order_lines:
        total = line.total_gross if gross else line.total_net
        result.extend(split_line(line.sku, line.name or line.sku, line.quantity, total, line.tax_rate, order.currency))

    shipping = order.shipping_gross if gross else order.shipping_net
    if shipping:
        rate = shipping_tax_rate(order, order_lines)
        result.extend(split_line(SHIPPING_PRODUCT_CODE, "Shipping", Decimal(1), shipping, rate, order.currency))
    return result


def sale_order_values(order, lines, *, partner_id, shipping_partner_id, pricelist_id, product_ids, tax_ids):
    """Return the sale.order create values; the shop's order number is the client_order_ref.

    `product_ids` maps SKU to product.product id and `tax_ids` maps (rate, price included) to
    account.tax id.
    """
    commands = []
    for line in lines:
        tax_id = tax_ids[(line.tax_rate, order.prices_include_tax)]
        commands.append([0, 0, {
            "product_id": product_ids[line.sku],
            "name": line.name,
            "product_uom_qty": float(line.quantity),
            "price_unit": to_wire_amount(line.price_unit, order.currency),
            "tax_id": [[6, 0, [tax_id]]] if tax_id else [[6, 0, []]],
        }])
    return {
        "partner_id": partner_id,
        "partner_invoice_id": partner_id,
        "partner_shipping_id": shipping_partner_id,
        "pricelist_id": pricelist_id,
        "client_order_ref": order.external_number,
        "origin": f"Kontor {order.channel.code}",
        "date_order": format_datetime(order.placed_at),
        "order_line": commands,
    }


def partner_values(email, address, country_id, *, ref="", parent_id=None, kind="contact"):
    """Return res.partner values for a buyer or a delivery address of one."""
    name = " ".join(part for part in (address.first_name, address.last_name) if part) if address else ""
    values = {
        "name": name or (address.company if address else "") or email,
        "email": email,
        "type": kind,
        "customer_rank": 1,
    }
    if ref:
        values["ref"] = ref
    if parent_id:
        values["parent_id"] = parent_id
    if address is not None:
        values.update({
            "street": address.street,
            "street2": address.street2 or False,
            "zip": address.postal_code or False,
            "city": address.city,
            "phone": address.phone or False,
            "country_id": country_id or False,
        })
    return values


def totals_difference(order, sale_order):
    """Return Odoo's amount_total minus the shop's total_gross, as Decimal (0 when they match)."""
    return to_amount(sale_order["amount_total"], order.currency) - order.total_gross


# Odoo to canonical


def canonical_status(sale_order):
    """Return the canonical status for a sale.order, or None while it is a quotation.

    draft and sent are quotations that Kontor already shows as new. sale is confirmed, and
    shipped or partly shipped once Odoo's delivery status (Odoo 16 and later) reports it. done is
    the locked state of Odoo 16 and earlier, shown as completed. cancel is cancelled.
    """
    state = sale_order.get("state")
    if state == "cancel":
        return OrderStatus.CANCELLED
    if state == "done":
        return OrderStatus.COMPLETED
    if state != "sale":
        return None
    delivery = sale_order.get("delivery_status") or ""
    if delivery == "full":
        return OrderStatus.SHIPPED
    if delivery in ("partial", "started"):
        return OrderStatus.PARTIALLY_SHIPPED
    return OrderStatus.CONFIRMED


def quantities_by_warehouse(quants):
    """Add up stock.quant rows per (product id, warehouse id).

    Returns {(product id, warehouse id): (quantity, reserved quantity)} as Decimals. Quants in
    locations without a warehouse (transit, customers, inventory loss) are left out.
    """
    totals = {}
    for quant in quants:
        product_id = many2one_id(quant["product_id"])
        warehouse_id = many2one_id(quant.get("warehouse_id"))
        if product_id is None or warehouse_id is None:
            continue
        quantity, reserved = totals.get((product_id, warehouse_id), (Decimal(0), Decimal(0)))
        totals[(product_id, warehouse_id)] = (
            quantity + Decimal(str(quant["quantity"])),
            reserved + Decimal(str(quant.get("reserved_quantity") or 0)),
        )
    return totals


def free_quantity(quantity, reserved):
    """Return the quantity Odoo has not promised to a confirmed order, never below zero.

    Kontor's on-hand for a warehouse is this free quantity. Odoo reserves stock for an order
    when it confirms it, and Kontor releases its own reservation for that order in the same
    step. So an order is subtracted once, by whichever system holds it at the time.
    """
    return max(Decimal(quantity) - Decimal(reserved), Decimal(0))


def document_from_move(move):
    """Return canonical document values for a posted customer invoice or credit note."""
    currency = many2one_name(move.get("currency_id")) or "EUR"
    invoice_date = move.get("invoice_date")
    return {
        "kind": MOVE_KINDS[move["move_type"]],
        "number": move["name"],
        "external_id": f"account.move:{move['id']}",
        "issued_at": datetime.strptime(invoice_date, "%Y-%m-%d").replace(tzinfo=UTC) if invoice_date else None,
        "currency": currency,
        "amount_net": to_amount(move["amount_untaxed"], currency),
        "amount_tax": to_amount(move["amount_tax"], currency),
        "amount_gross": to_amount(move["amount_total"], currency),
    }


def document_from_picking(picking):
    """Return canonical document values for a validated delivery (a delivery note has no amounts)."""
    return {
        "kind": DocumentKind.DELIVERY_NOTE,
        "number": picking["name"],
        "external_id": f"stock.picking:{picking['id']}",
        "issued_at": parse_datetime(picking.get("date_done")),
        "currency": "",
        "amount_net": None,
        "amount_tax": None,
        "amount_gross": None,
    }


def report_path(kind, record_id):
    return f"/report/pdf/{REPORT_NAMES[kind]}/{record_id}"
