"""Delta reads from Odoo: stock per warehouse, and sale orders with their documents.

Both page by Odoo's write_date (second resolution, UTC) and then id, so a page boundary inside
one second loses nothing. The cursor that the framework stores restarts a run a little before
the last item; items read twice have the same dedup key and are dropped by the inbox.

Page cursors: {"since": "<write_date>", "positions": {model: ["<write_date>", id]}}. A model's
position is the last record of it already returned; "since" bounds models without one.
"""

from datetime import UTC, datetime

from integrations.models import Binding
from integrations.odoo.mappers import (
    MOVE_FIELDS,
    PICKING_FIELDS,
    QUANT_FIELDS,
    SALE_ORDER_FIELDS,
    format_datetime,
    many2one_id,
    parse_datetime,
    quantities_by_warehouse,
)
from integrations.registry import InboundItem, Page

PAGE_SIZE = 200

# The models read for the "orders" entity, in the order they sort within one write_date second.
ORDER_MODELS = (
    ("sale.order", [], SALE_ORDER_FIELDS),
    ("account.move", [["move_type", "in", ["out_invoice", "out_refund"]], ["state", "=", "posted"]], MOVE_FIELDS),
    ("stock.picking", [["picking_type_code", "=", "outgoing"], ["state", "=", "done"]], PICKING_FIELDS),
)


def _since_of(cursor):
    """Return the inclusive lower bound of a run as Odoo text, or None to read everything."""
    if not cursor:
        return None
    if cursor.get("since"):
        return cursor["since"]
    updated_since = cursor.get("updated_since")
    if isinstance(updated_since, str):
        updated_since = datetime.fromisoformat(updated_since)
    return format_datetime(updated_since) if updated_since else None


def _after(position, since):
    """Return the domain for records after a (write_date, id) position, or from `since` on."""
    if position:
        write_date, record_id = position
        return ["|", ["write_date", ">", write_date], "&", ["write_date", "=", write_date], ["id", ">", record_id]]
    if since:
        return [["write_date", ">=", since]]
    return []


# Stock


def pull_stock(client, connection, cursor, *, page_size=PAGE_SIZE):
    """Read one page of changed stock quants; return an item per changed (product, warehouse).

    Each item carries the full quantity of the product in that warehouse at read time (all its
    internal quants added up), because Kontor records on-hand as the difference to that total.
    """
    cursor = cursor or {}
    since = _since_of(cursor)
    position = (cursor.get("positions") or {}).get("stock.quant")
    internal = [["location_id.usage", "=", "internal"]]
    changed = client.search_read(
        "stock.quant", internal + _after(position, since), ["id", "product_id", "warehouse_id", "write_date"],
        limit=page_size, order="write_date asc, id asc",
    )
    if not changed:
        return Page(items=[], cursor=None)

    read_at = datetime.now(UTC)
    product_ids = sorted({many2one_id(quant["product_id"]) for quant in changed})
    quants = client.search_read("stock.quant", internal + [["product_id", "in", product_ids]], QUANT_FIELDS)
    totals = quantities_by_warehouse(quants)
    skus = _skus(client, connection, product_ids)
    warehouses = _warehouses(client, {many2one_id(quant["warehouse_id"]) for quant in changed if quant.get("warehouse_id")})

    changed_at = {}
    for quant in changed:
        key = (many2one_id(quant["product_id"]), many2one_id(quant.get("warehouse_id")))
        if key[1] is not None:
            changed_at[key] = max(changed_at.get(key, ""), quant["write_date"])

    items = []
    for (product_id, warehouse_id), write_date in sorted(changed_at.items(), key=lambda entry: (entry[1], entry[0])):
        quantity, reserved = totals.get((product_id, warehouse_id), (0, 0))
        warehouse = warehouses.get(warehouse_id, {})
        external_id = f"{product_id}@{warehouse_id}"
        items.append(InboundItem(
            entity="stock",
            external_id=external_id,
            dedup_key=f"odoo:stock:{external_id}:{write_date}:{quantity}:{reserved}",
            payload={
                "product_id": product_id,
                "sku": skus.get(product_id, ""),
                "warehouse_id": warehouse_id,
                "warehouse_code": warehouse.get("code", ""),
                "warehouse_name": warehouse.get("name", ""),
                "quantity": str(quantity),
                "reserved_quantity": str(reserved),
                "read_at": read_at.isoformat(),
            },
            occurred_at=parse_datetime(write_date),
            version=read_at.isoformat(),
            event_type="stock.quant",
        ))

    last = changed[-1]
    next_cursor = None
    if len(changed) == page_size:
        next_cursor = {"since": since, "positions": {"stock.quant": [last["write_date"], last["id"]]}}
    return Page(items=items, cursor=next_cursor)


def _skus(client, connection, product_ids):
    """Return {product.product id: default_code}, from bindings where Kontor has them."""
    bound = dict(
        Binding.objects.filter(
            connection=connection,
            content_type__app_label="catalog",
            content_type__model="product",
            external_id__in=[str(product_id) for product_id in product_ids],
        ).values_list("external_id", "object_id")
    )
    skus = {}
    if bound:
        from catalog.models import Product

        by_pk = dict(Product.objects.filter(pk__in=bound.values()).values_list("pk", "sku"))
        skus = {int(external_id): by_pk.get(int(pk), "") for external_id, pk in bound.items()}
    missing = [product_id for product_id in product_ids if not skus.get(product_id)]
    for row in client.read("product.product", missing, ["default_code"]):
        skus[row["id"]] = row.get("default_code") or ""
    return skus


def _warehouses(client, warehouse_ids):
    rows = client.read("stock.warehouse", sorted(warehouse_ids), ["code", "name"])
    return {row["id"]: row for row in rows}


def read_stock_totals(client, product_ids):
    """Return {(product id, warehouse id): (quantity, reserved)} for products, read now."""
    quants = client.search_read(
        "stock.quant",
        [["location_id.usage", "=", "internal"], ["product_id", "in", sorted(product_ids)]],
        QUANT_FIELDS,
    )
    return quantities_by_warehouse(quants)


# Orders and documents


def pull_orders(client, connection, cursor, *, page_size=PAGE_SIZE):
    """Read one page of changed sale orders, posted invoices and credit notes, and done deliveries.

    The three models are merged by (write_date, model, id), so the page holds the oldest changes
    of all of them and the stored cursor never passes an unread record of another model.
    """
    cursor = cursor or {}
    since = _since_of(cursor)
    positions = dict(cursor.get("positions") or {})

    candidates = []
    fetched_full = False
    for rank, (model, domain, fields) in enumerate(ORDER_MODELS):
        rows = client.search_read(
            model, domain + _after(positions.get(model), since), ["id", *fields],
            limit=page_size, order="write_date asc, id asc",
        )
        fetched_full = fetched_full or len(rows) == page_size
        candidates.extend((row["write_date"], rank, row["id"], model, row) for row in rows)
    candidates.sort(key=lambda entry: entry[:3])
    page = candidates[:page_size]

    sale_orders = _sale_order_ids_by_name(client, [row for _, _, _, model, row in page if model == "account.move"])
    items = []
    for write_date, _rank, record_id, model, row in page:
        positions[model] = [write_date, record_id]
        items.append(_order_item(model, row, sale_orders))

    more = fetched_full or len(candidates) > page_size
    next_cursor = {"since": since, "positions": positions} if more and page else None
    return Page(items=items, cursor=next_cursor)


def _sale_order_ids_by_name(client, moves):
    names = sorted({move["invoice_origin"] for move in moves if move.get("invoice_origin")})
    if not names:
        return {}
    rows = client.search_read("sale.order", [["name", "in", names]], ["id", "name"])
    return {row["name"]: row["id"] for row in rows}


def _order_item(model, row, sale_orders):
    payload = dict(row)
    if model == "sale.order":
        sale_order_id = row["id"]
        version = f"{row['write_date']}:{row['state']}:{row.get('delivery_status') or ''}"
    elif model == "account.move":
        sale_order_id = sale_orders.get(row.get("invoice_origin") or "")
        version = f"{row['write_date']}:{row['state']}"
    else:
        sale_order_id = many2one_id(row.get("sale_id"))
        version = f"{row['write_date']}:{row['state']}"
    payload["sale_order_id"] = sale_order_id
    external_id = f"{model}:{row['id']}"
    return InboundItem(
        entity="orders",
        external_id=external_id,
        dedup_key=f"odoo:{external_id}:{version}",
        payload=payload,
        occurred_at=parse_datetime(row["write_date"]),
        version=version,
        event_type=model,
    )
