"""A page of pulled Odoo stock applied together: ledger movements, stale reads, outcomes, statements."""

import zlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from catalog.models import Product, StockLevel, StockMovement, Warehouse
from catalog.services import stock
from integrations.models import Conflict, InboundEvent, InboundSource, LeadingSystemRule, SyncError
from integrations.odoo.stock_pages import apply_stock_events
from integrations.registry import InboundItem
from integrations.services.bindings import bind
from integrations.services.inbox import store_inbound_items
from tests.odoo.conftest import make_odoo_connection
from tests.odoo.helpers import install_recording_shop, make_pair
from tests.odoo.queries import kontor_queries

pytestmark = pytest.mark.django_db

READ_AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
ODOO_WAREHOUSE = 7

# Statements of apply_stock_events for a page whose products, warehouse and levels exist and
# whose figures all change, whatever the number of events. Three of them read the events,
# levels and read times without locks, to find the events that change nothing.
STOCK_PAGE_STATEMENTS = 27


@pytest.fixture
def erp():
    install_recording_shop()
    connection = make_odoo_connection()
    make_pair(connection)
    return connection


def warehouse_of(erp):
    warehouse, _created = Warehouse.objects.get_or_create(code="odoo-wh", defaults={"name": "Odoo WH"})
    bind(erp, warehouse, ODOO_WAREHOUSE)
    return warehouse


def stock_item(sku, quantity, *, reserved="0", read_at=READ_AT, odoo_product_id=None, **overrides):
    """Return a pulled stock item shaped as pull_stock stores it."""
    odoo_product_id = odoo_product_id or zlib.crc32(sku.encode()) % 100000
    payload = {
        "product_id": odoo_product_id,
        "sku": sku,
        "warehouse_id": ODOO_WAREHOUSE,
        "warehouse_code": "WH",
        "warehouse_name": "Odoo WH",
        "quantity": str(quantity),
        "reserved_quantity": str(reserved),
        "read_at": read_at.isoformat(),
        **overrides,
    }
    external_id = f"{odoo_product_id}@{ODOO_WAREHOUSE}"
    return InboundItem(
        entity="stock", external_id=external_id, dedup_key=f"odoo:stock:{external_id}:{read_at.isoformat()}:{quantity}:{reserved}",
        payload=payload, occurred_at=read_at, version=read_at.isoformat(), event_type="stock.quant",
    )


def store(erp, items):
    return store_inbound_items(erp, items, source=InboundSource.PULL, queue=False)


def level_of(sku, warehouse):
    return StockLevel.objects.get(product__sku=sku, warehouse=warehouse)


@pytest.mark.parametrize("size", [1, 20])
def test_stock_page_statements_fixed(erp, size):
    warehouse = warehouse_of(erp)
    skus = [f"SP-{number}" for number in range(size)]
    for sku in skus:
        stock.record_on_hand(Product.objects.create(sku=sku), warehouse, 5)
    # A first page fills the per-process caches (content types), as any running stock loop has.
    stock.record_on_hand(Product.objects.create(sku="SP-WARM"), warehouse, 5)
    apply_stock_events(erp, store(erp, [stock_item("SP-WARM", 6)]))
    event_ids = store(erp, [stock_item(sku, 9) for sku in skus])

    with kontor_queries() as statements:
        counts = apply_stock_events(erp, event_ids)

    assert len(statements) == STOCK_PAGE_STATEMENTS
    assert counts == {"updated": size}
    assert {level_of(sku, warehouse).on_hand for sku in skus} == {Decimal("9")}
    assert set(InboundEvent.objects.filter(pk__in=event_ids).values_list("state", "outcome", "attempts")) == {("processed", "updated", 1)}


def test_figure_recorded_as_movement_keeping_reservations(erp):
    warehouse = warehouse_of(erp)
    product = Product.objects.create(sku="SP-MOVE")
    stock.record_on_hand(product, warehouse, 10)
    StockLevel.objects.filter(product=product).update(reserved=3)
    event_ids = store(erp, [stock_item("SP-MOVE", 8, reserved="2")])

    apply_stock_events(erp, event_ids)

    level = level_of("SP-MOVE", warehouse)
    assert (level.on_hand, level.reserved) == (Decimal("6"), Decimal("3"))
    movement = StockMovement.objects.filter(product=product).latest("pk")
    assert movement.on_hand_delta == Decimal("-4")
    assert movement.connection_id == erp.pk


def test_later_read_of_same_level_wins(erp):
    warehouse = warehouse_of(erp)
    product = Product.objects.create(sku="SP-TWICE")
    stock.record_on_hand(product, warehouse, 1)
    first, second = store(erp, [
        stock_item("SP-TWICE", 4, read_at=READ_AT, odoo_product_id=11),
        stock_item("SP-TWICE", 6, read_at=READ_AT + timedelta(seconds=1), odoo_product_id=11),
    ])

    counts = apply_stock_events(erp, [first, second])

    assert counts == {"stale": 1, "updated": 1}
    assert level_of("SP-TWICE", warehouse).on_hand == Decimal("6")
    assert InboundEvent.objects.get(pk=first).state == "ignored"
    assert InboundEvent.objects.get(pk=second).state == "processed"
    # One movement of the whole difference, not one per read.
    assert list(StockMovement.objects.filter(product=product, connection=erp).values_list("on_hand_delta", flat=True)) == [Decimal("5")]


def test_read_older_than_applied_one_is_stale(erp):
    warehouse = warehouse_of(erp)
    product = Product.objects.create(sku="SP-OLD")
    stock.record_on_hand(product, warehouse, 2)
    store_newer = store(erp, [stock_item("SP-OLD", 5, read_at=READ_AT + timedelta(seconds=5), odoo_product_id=12)])
    apply_stock_events(erp, store_newer)

    older = store(erp, [stock_item("SP-OLD", 1, read_at=READ_AT, odoo_product_id=12)])
    counts = apply_stock_events(erp, older)

    assert counts == {"stale": 1}
    assert level_of("SP-OLD", warehouse).on_hand == Decimal("5")
    assert InboundEvent.objects.get(pk=older[0]).outcome == "stale"


def test_unknown_sku_skipped_others_applied(erp):
    warehouse = warehouse_of(erp)
    stock.record_on_hand(Product.objects.create(sku="SP-KNOWN"), warehouse, 1)
    event_ids = store(erp, [stock_item("SP-UNKNOWN", 3), stock_item("SP-KNOWN", 3)])

    counts = apply_stock_events(erp, event_ids)

    assert counts == {"skipped": 1, "updated": 1}
    assert InboundEvent.objects.get(pk=event_ids[0]).state == "processed"
    assert InboundEvent.objects.get(pk=event_ids[0]).outcome == "skipped"
    assert not StockLevel.objects.filter(product__sku="SP-UNKNOWN").exists()
    assert level_of("SP-KNOWN", warehouse).on_hand == Decimal("3")


def test_unreadable_item_fails_with_sync_error(erp):
    warehouse = warehouse_of(erp)
    stock.record_on_hand(Product.objects.create(sku="SP-BAD"), warehouse, 2)
    stock.record_on_hand(Product.objects.create(sku="SP-GOOD"), warehouse, 2)
    bad, good = store(erp, [stock_item("SP-BAD", "lots"), stock_item("SP-GOOD", 4)])

    counts = apply_stock_events(erp, [bad, good])

    assert counts == {"updated": 1, "failed": 1}
    assert InboundEvent.objects.get(pk=bad).state == "failed"
    error = SyncError.objects.get(inbound_event_id=bad)
    assert error.code == "odoo_stock_item_invalid"
    assert "product SP-BAD" in error.message
    assert "Check the product's stock in Odoo" in error.message
    assert level_of("SP-BAD", warehouse).on_hand == Decimal("2")
    assert level_of("SP-GOOD", warehouse).on_hand == Decimal("4")


def test_new_warehouse_and_levels_created_once(erp):
    for sku in ("SP-NEW-1", "SP-NEW-2"):
        Product.objects.create(sku=sku)
    event_ids = store(erp, [stock_item("SP-NEW-1", 2), stock_item("SP-NEW-2", 3)])

    counts = apply_stock_events(erp, event_ids)

    assert counts == {"updated": 2}
    warehouse = Warehouse.objects.get(code=f"{erp.slug}-wh")
    assert Warehouse.objects.filter(code__startswith=erp.slug).count() == 1
    assert level_of("SP-NEW-1", warehouse).on_hand == Decimal("2")
    assert level_of("SP-NEW-2", warehouse).on_hand == Decimal("3")


def test_stock_led_elsewhere_becomes_conflict(erp):
    warehouse = warehouse_of(erp)
    stock.record_on_hand(Product.objects.create(sku="SP-LED"), warehouse, 2)
    other = make_odoo_connection(slug="other-erp")
    LeadingSystemRule.objects.filter(domain="stock").update(connection=other)
    event_ids = store(erp, [stock_item("SP-LED", 9)])

    counts = apply_stock_events(erp, event_ids)

    assert counts == {"skipped": 1}
    assert level_of("SP-LED", warehouse).on_hand == Decimal("2")
    conflict = Conflict.objects.get(connection=erp)
    assert conflict.incoming_value == "9"


def test_event_processed_once(erp):
    warehouse = warehouse_of(erp)
    stock.record_on_hand(Product.objects.create(sku="SP-ONCE"), warehouse, 1)
    event_ids = store(erp, [stock_item("SP-ONCE", 4)])
    apply_stock_events(erp, event_ids)

    counts = apply_stock_events(erp, event_ids)

    assert counts == {}
    assert InboundEvent.objects.get(pk=event_ids[0]).attempts == 1
    assert StockMovement.objects.filter(product__sku="SP-ONCE", connection=erp).count() == 1
