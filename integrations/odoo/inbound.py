"""Stored Odoo events applied to Kontor: stock to the ledger, order states, documents.

Each function runs inside the inbox's transaction for the event, so the canonical change, its
outbox messages and the event's new state commit together. Only what Odoo leads is applied;
other changes become conflicts through the framework's leading-system rules.
"""

import logging
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy

from catalog.models import Product, ReservationState, StockLevel, StockReservation, Warehouse
from catalog.models.stock import ReleaseReason
from catalog.services import availability, stock
from core.translation import Translatable
from integrations.domains import Domain, FieldGroup
from integrations.errors import ConnectorError
from integrations.models import Binding
from integrations.odoo import issues
from integrations.odoo.client import OdooClient
from integrations.odoo.mappers import (
    MOVE_KINDS,
    canonical_status,
    document_from_move,
    document_from_picking,
    free_quantity,
    report_path,
)
from integrations.odoo.pulls import read_stock_totals
from integrations.services.bindings import bind, find_record
from integrations.services.leading import (
    apply_inbound_changes,
    leading_connection_id,
    settle_conflicts,
)
from orders.models import Document, Order, OrderLine, OrderStatus
from orders.services import (
    InvalidTransition,
    confirm_new_orders,
    set_attention_note,
    transition_order,
)

logger = logging.getLogger(__name__)

# The line below a shop cancellation's note once the ERP has cancelled the order as well.
SHOP_CANCELLATION_SETTLED = gettext_lazy("%(erp)s has cancelled the order as well, so the cancellation from the shop is settled.")

ACTOR = "odoo connector"

# Statuses at which Odoo has reserved or shipped the order's stock, so Kontor's own
# reservation for it would subtract the same units a second time.
ERP_HOLDS_STOCK = {
    OrderStatus.CONFIRMED,
    OrderStatus.IN_FULFILMENT,
    OrderStatus.PARTIALLY_SHIPPED,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.COMPLETED,
}


# Stock


def warehouse_for(connection, warehouse_id, code="", name=""):
    """Return the canonical warehouse bound to an Odoo warehouse, creating and binding it once."""
    warehouse = find_record(connection, Warehouse, warehouse_id)
    if warehouse is not None:
        return warehouse
    slug = slugify(f"{connection.slug}-{code or warehouse_id}")[:100]
    warehouse, _created = Warehouse.objects.get_or_create(code=slug, defaults={"name": name or code or slug})
    bind(connection, warehouse, warehouse_id)
    return warehouse


def _apply_on_hand(connection, product, warehouse, quantity, reserved, *, event=None, reference=""):
    """Record Odoo's free quantity as on-hand if Odoo leads stock; return whether it changed."""
    on_hand = free_quantity(quantity, reserved)
    level = StockLevel.objects.filter(product=product, warehouse=warehouse).first() or StockLevel(product=product, warehouse=warehouse, on_hand=0)
    allowed = apply_inbound_changes(
        connection, Domain.STOCK, product, {"": {"on_hand": str(on_hand)}},
        event=event, current={"on_hand": str(level.on_hand)},
    )
    if not allowed:
        return False
    return stock.record_on_hand(product, warehouse, on_hand, connection=connection, reference=reference) is not None


class StockItem(NamedTuple):
    """One pulled (product, warehouse) stock figure, read from an event's payload."""

    sku: str
    product_id: object
    warehouse_id: int
    warehouse_code: str
    warehouse_name: str
    quantity: Decimal
    reserved: Decimal
    read_at: datetime


def parse_stock_payload(connection, payload):
    """Return the StockItem of a pulled stock event's payload; raise StockItemInvalid when it cannot be read."""
    product = payload.get("sku") or payload.get("product_id") or "?"
    try:
        read_at = datetime.fromisoformat(payload["read_at"])
        if read_at.tzinfo is None:
            raise ValueError("read_at has no time zone")
        return StockItem(
            sku=payload.get("sku") or "",
            product_id=payload.get("product_id"),
            warehouse_id=int(payload["warehouse_id"]),
            warehouse_code=payload.get("warehouse_code") or "",
            warehouse_name=payload.get("warehouse_name") or "",
            quantity=Decimal(payload["quantity"]),
            reserved=Decimal(payload["reserved_quantity"]),
            read_at=read_at,
        )
    except (KeyError, TypeError, ValueError, ArithmeticError) as error:
        problem = f"missing {error.args[0]}" if isinstance(error, KeyError) else str(error) or type(error).__name__
        raise issues.StockItemInvalid(
            connection=connection.name, product=product, warehouse=payload.get("warehouse_code") or payload.get("warehouse_id") or "?", problem=problem
        ) from error


def _stock_binding(connection, level):
    return Binding.objects.filter(
        connection=connection, content_type__app_label="catalog", content_type__model="stocklevel", object_id=str(level.pk)
    ).first()


def _stamp_read(connection, level, external_id, read_at):
    """Store when Odoo's figure for this level was read, so an older read is never applied after it."""
    binding = bind(connection, level, external_id)
    binding.pulled_at = read_at
    binding.save(update_fields=["pulled_at"])


def process_stock(connection, event):
    """Apply one pulled (product, warehouse) quantity unless a newer read was applied already."""
    item = parse_stock_payload(connection, event.payload)
    product = Product.objects.filter(sku=item.sku).first()
    if product is None:
        logger.info("odoo stock for unknown sku skipped", extra={"connection_id": connection.pk, "odoo_product_id": item.product_id})
        return "skipped"
    warehouse = warehouse_for(connection, item.warehouse_id, item.warehouse_code, item.warehouse_name)

    # Lock the level, so two events for it apply one after the other and the newer read wins.
    level, _created = StockLevel.objects.select_for_update().get_or_create(product=product, warehouse=warehouse)
    read_at = item.read_at
    binding = _stock_binding(connection, level)
    if binding is not None and binding.pulled_at is not None and binding.pulled_at >= read_at:
        return "stale"

    changed = _apply_on_hand(
        connection, product, warehouse, item.quantity, item.reserved, event=event, reference=f"odoo {connection.slug}",
    )
    _stamp_read(connection, level, event.external_id, read_at)
    if changed:
        availability.publish_availability([product.pk], origin=connection)
        return "updated"
    return "skipped"


def refresh_stock(connection, client, product_ids, *, reference):
    """Read the current Odoo stock of products and record it; return the product ids changed."""
    return record_stock_reading(connection, read_stock(connection, client, product_ids), reference=reference)


def read_stock(connection, client, product_ids):
    """Read the current Odoo stock of products; return the reading for record_stock_reading, or None.

    Called before the stock levels are locked, so other stock changes do not wait for Odoo's response.
    """
    bindings = dict(
        Binding.objects.filter(
            connection=connection, content_type__app_label="catalog", content_type__model="product",
            object_id__in=[str(pk) for pk in product_ids],
        ).values_list("external_id", "object_id")
    )
    if not bindings:
        return None
    read_at = timezone.now()
    totals = read_stock_totals(client, [int(external_id) for external_id in bindings])
    return {"bindings": bindings, "read_at": read_at, "totals": totals}


def record_stock_reading(connection, reading, *, reference, leads=None):
    """Record a reading of read_stock on the stock levels; return the product ids changed.

    Each level is stamped with the read time, so a pulled event read before this moment (and
    so before the order it is called for was confirmed) is dropped as stale. A level whose
    stamp is newer than the reading, because the stock loop applied a later read meanwhile,
    keeps that figure. `leads` is whether the connection leads stock, when the caller knows it.
    """
    if reading is None:
        return []
    bindings, read_at, totals = reading["bindings"], reading["read_at"], reading["totals"]
    products = Product.objects.in_bulk([int(pk) for pk in bindings.values()])
    warehouses = {odoo_id: find_record(connection, Warehouse, odoo_id) for odoo_id in sorted({key[1] for key in totals})}
    levels = {
        (level.product_id, level.warehouse_id): level
        for level in StockLevel.objects.select_for_update(of=("self",)).filter(
            product__in=list(products.values()), warehouse__in=[warehouse for warehouse in warehouses.values() if warehouse is not None]
        )
    }
    if leads is None:
        leads = leading_connection_id(Domain.STOCK) == connection.pk
    newer = set(
        Binding.objects.filter(
            connection=connection, content_type=ContentType.objects.get_for_model(StockLevel),
            object_id__in=[str(level.pk) for level in levels.values()], pulled_at__gt=read_at,
        ).values_list("object_id", flat=True)
    )

    changed = set()
    figures, reads = [], []
    for (odoo_product_id, odoo_warehouse_id), (quantity, reserved) in sorted(totals.items()):
        product = products.get(int(bindings[str(odoo_product_id)]))
        warehouse = warehouses[odoo_warehouse_id]
        if product is None or warehouse is None:
            continue
        level = levels.get((product.pk, warehouse.pk))
        if level is None:
            level, _created = StockLevel.objects.select_for_update().get_or_create(product=product, warehouse=warehouse)
        if str(level.pk) in newer:
            continue
        if leads:
            figures.append((level, free_quantity(quantity, reserved)))
        elif _apply_on_hand(connection, product, warehouse, quantity, reserved, reference=reference):
            # Another connection leads stock, so the leading-system rules decide per level.
            changed.add(product.pk)
        reads.append((level, f"{odoo_product_id}@{odoo_warehouse_id}", read_at))
    changed |= stock.record_on_hand_of_locked_levels(figures, connection=connection, reference=reference)
    stamp_reads(connection, reads)
    return sorted(changed)


def stamp_reads(connection, reads):
    """Store the read time of many levels, as _stamp_read does; one UPDATE per distinct read time.

    `reads` is [(level, Odoo's product@warehouse id, read time)].
    """
    if not reads:
        return
    content_type = ContentType.objects.get_for_model(StockLevel)
    Binding.objects.bulk_create(
        [Binding(connection=connection, content_type=content_type, object_id=str(level.pk), external_id=external_id) for level, external_id, _read_at in reads],
        ignore_conflicts=True,
    )
    levels_by_read_time = defaultdict(list)
    for level, _external_id, read_at in reads:
        levels_by_read_time[read_at].append(str(level.pk))
    for read_at, level_pks in levels_by_read_time.items():
        Binding.objects.filter(connection=connection, content_type=content_type, object_id__in=level_pks).update(pulled_at=read_at)


# Orders


def _order_for(connection, sale_order_id, client_order_ref=""):
    order = find_record(connection, Order, sale_order_id) if sale_order_id else None
    if order is None and client_order_ref:
        # The pull can see a sale order before the delivery that created it stored its binding.
        matches = list(Order.objects.filter(external_number=client_order_ref)[:2])
        if len(matches) == 1:
            order = matches[0]
            if sale_order_id:
                bind(connection, order, sale_order_id)
    return order


def process_sale_order(connection, event):
    """Move the canonical order to the status of the Odoo sale order; release its reservation."""
    payload = event.payload
    order = _order_for(connection, payload["id"], payload.get("client_order_ref") or "")
    if order is None:
        return "ignored"
    return apply_sale_order_state(connection, order, payload, event=event)


def apply_sale_order_state(connection, order, payload, *, event=None):
    """Apply a sale order's state (a pulled event's, or the one Kontor just confirmed) to the order.

    Returns "updated", or "skipped" when the state is a quotation or Odoo does not lead the
    order's status. Runs in the caller's transaction.
    """
    target = canonical_status(payload)
    if target is None:
        return "skipped"

    allowed = apply_inbound_changes(
        connection, Domain.ORDERS, order, {FieldGroup.STATUS: {"status": target.value}}, event=event
    )
    if not allowed:
        return "skipped"

    note = _sale_order_note(payload.get("name", ""), payload.get("state", ""))
    try:
        # A report of a step the order has passed is recorded as not applied by the service.
        transition_order(order.pk, target, actor=ACTOR, connection=connection, note=note)
    except InvalidTransition as error:
        raise issues.StatusRejected(
            # The number with the channel's name, because a number is unique only per channel.
            connection=connection.name,
            order=f"{order.external_number} ({order.channel.name or order.channel.code})",
            status=target.label,
            current=OrderStatus(order.status).label,
        ) from error

    if target in ERP_HOLDS_STOCK:
        _hand_stock_to_erp(connection, order)
    elif target == OrderStatus.CANCELLED:
        # transition_order released the reservation; the channels get the freed units.
        availability.publish_order_availability(order, origin=connection)
        _settle_shop_cancellation(connection, order)
    return "updated"


def _settle_shop_cancellation(connection, order):
    """Resolve a shop's cancellation conflict once Odoo cancelled the order too, and take the flag off.

    The conflict's note asks the merchant to cancel the order in Odoo. Once Odoo has, the order
    needs nothing more for it, and a flag left on a cancelled order would send support to a
    solved case. A line below the note says why the flag went.
    """
    if not settle_conflicts(order, Domain.ORDERS, {"status": OrderStatus.CANCELLED.value}):
        return
    order.refresh_from_db(fields=["needs_attention", "attention_note", "attention_note_translations"])
    fields = set_attention_note(order, Translatable(SHOP_CANCELLATION_SETTLED, erp=connection.name), append=True)
    order.needs_attention = False
    order.save(update_fields=[*fields, "updated_at"])


def _hand_stock_to_erp(connection, order):
    """Release Kontor's reservation once Odoo holds the order's stock, in one step with Odoo's figure.

    The current Odoo stock of the order's products is read and recorded first, in this same
    transaction, so no channel is sent a figure without the reservation before Odoo's lower free
    quantity is in the ledger.
    """
    hand_stock_to_erp(connection, [order])


# Attempts at the handover's stock read. Odoo has confirmed the orders when the handover runs,
# so while the read fails Kontor still keeps its reservations and the stock loop's next
# reading of Odoo, which includes Odoo's reservations, counts those units twice.
HANDOVER_READ_ATTEMPTS = 3


def _read_stock_for_handover(connection, product_ids):
    client = OdooClient(connection)
    for attempt in range(1, HANDOVER_READ_ATTEMPTS + 1):
        try:
            return read_stock(connection, client, product_ids)
        except ConnectorError as error:
            if not error.retryable or attempt == HANDOVER_READ_ATTEMPTS:
                raise
            logger.warning(
                "odoo stock read for handover failed, retrying",
                extra={"connection_id": connection.pk, "attempt": attempt, "error_code": error.code},
            )
    return None


def hand_stock_to_erp(connection, orders):
    """Hand the open reservations of orders that Odoo now has to Odoo's figure, with one stock read."""
    if not orders:
        return
    # One query for the orders that still have open reservations and the products of their lines.
    open_reservations = StockReservation.objects.filter(order_line=OuterRef("pk"), state=ReservationState.OPEN)
    lines = list(
        OrderLine.objects.filter(order__in=orders, product__isnull=False)
        .annotate(reserved=Exists(open_reservations))
        .values_list("order_id", "product_id", "reserved")
    )
    with_reservations = {order_id for order_id, _product_id, reserved in lines if reserved}
    orders = [order for order in orders if order.pk in with_reservations]
    if not orders:
        return
    product_ids = sorted({product_id for order_id, product_id, _reserved in lines if order_id in with_reservations})
    leads = leading_connection_id(Domain.STOCK) == connection.pk
    # Odoo is read before the levels are locked, so reservations and the stock loop do not wait
    # for its response. Odoo confirmed the orders already, so the reading includes their reservations.
    reading = _read_stock_for_handover(connection, product_ids) if leads else None
    # Lock the products' stock levels in id order first, as reserve_order does: the reads and
    # releases below touch them in other orders, which deadlocked against new reservations.
    levels = stock.lock_stock_levels(product_ids)
    if leads:
        reference = f"odoo {connection.slug}: {orders[0]}" if len(orders) == 1 else f"odoo {connection.slug}: {len(orders)} orders"
        record_stock_reading(connection, reading, reference=reference, leads=True)
    stock.release_orders(orders, reason=ReleaseReason.ERP_HOLDS_STOCK, locked_levels=levels)
    availability.publish_availability(product_ids, origin=connection)


def confirm_orders(connection, orders):
    """Record that Odoo confirmed these orders (Kontor just did) and hand their stock to Odoo.

    Orders whose status another system leads, or that already moved on, are left to the pulled
    state change, which records a conflict or a sync error once. Runs in the caller's transaction.
    """
    names = {order.pk: name for order, name in orders if order.status == OrderStatus.NEW}
    if not names or leading_connection_id(Domain.ORDERS, FieldGroup.STATUS) != connection.pk:
        return []
    moved = _confirm_new_orders(connection, names)
    confirmed = []
    for order, _name in orders:
        if order.pk in moved:
            order.status = OrderStatus.CONFIRMED
            confirmed.append(order)
        elif order.pk in names and _transition_one(connection, order, names[order.pk]):
            confirmed.append(order)
    hand_stock_to_erp(connection, confirmed)
    return confirmed


# The labels of sale.order's state selection, as Odoo's own screens show them. Odoo 17 dropped
# "done" for a locked flag; older versions still report it.
SALE_ORDER_STATE_LABELS = {
    "draft": gettext_lazy("Quotation"),
    "sent": gettext_lazy("Quotation Sent"),
    "sale": gettext_lazy("Sales Order"),
    "done": gettext_lazy("Locked"),
    "cancel": gettext_lazy("Cancelled"),
}


def _sale_order_note(name, state):
    """Return the status history note for a sale order state, stored in every language Kontor ships."""
    # A state Kontor does not know, such as one an Odoo module adds, is shown as Odoo sent it.
    label = SALE_ORDER_STATE_LABELS.get(state, state)
    return Translatable(gettext_lazy('Odoo sale order %(name)s has the status "%(state)s".'), name=name, state=label)


def _confirmation_note(name):
    return _sale_order_note(name, "sale")


def _confirm_new_orders(connection, names):
    """Confirm the orders of `names` ({order pk: sale order name}) that are still new; return their pks.

    The caller passes the others to _transition_one.
    """
    notes = {pk: _confirmation_note(name) for pk, name in names.items()}
    moved = confirm_new_orders(notes, actor=ACTOR, connection=connection)
    if moved:
        logger.info("odoo orders confirmed", extra={"connection_id": connection.pk, "order_ids": sorted(moved)})
    return moved


def _transition_one(connection, order, name):
    """Confirm an order that changed status since it was read, by transition_order's full rules.

    Returns whether the order is now confirmed or further along, so that Odoo has its stock.
    """
    try:
        with transaction.atomic():
            transition_order(order.pk, OrderStatus.CONFIRMED, actor=ACTOR, connection=connection, note=_confirmation_note(name))
    except InvalidTransition:
        logger.info("odoo confirmation left to the poll", extra={"order_id": order.pk, "status": order.status})
        return False
    return True


# Documents


def process_document(connection, event):
    """Store a posted invoice or credit note, or a done delivery, as the order's document with its PDF."""
    payload = event.payload
    order = _order_for(connection, payload.get("sale_order_id"), payload.get("ref") or "")
    if order is None:
        # A document of a sale order that Kontor did not send, such as a point-of-sale order.
        logger.info("odoo document of unknown order ignored", extra={"connection_id": connection.pk, "external_id": event.external_id})
        return "ignored"

    if event.event_type == "account.move":
        if payload.get("move_type") not in MOVE_KINDS:
            return "ignored"
        values = document_from_move(payload)
    else:
        values = document_from_picking(payload)

    allowed = apply_inbound_changes(
        connection, Domain.ORDERS, order, {FieldGroup.DOCUMENTS: {"documents": values["number"]}}, event=event, current={"documents": None}
    )
    if not allowed:
        return "skipped"

    document = Document.objects.filter(kind=values["kind"], number=values["number"]).first()
    created = document is None
    if created:
        document = Document(order=order, connection=connection, **values)
    else:
        for name, value in values.items():
            setattr(document, name, value)
    if not document.file:
        record_id = int(values["external_id"].split(":")[1])
        pdf = OdooClient(connection).download(report_path(values["kind"], record_id))
        document.file.save(f"{values['kind']}-{slugify(values['number'])}.pdf", ContentFile(pdf), save=False)
    document.save()
    logger.info("odoo document stored", extra={"order_id": order.pk, "document_id": document.pk, "kind": values["kind"]})
    return "created" if created else "updated"
