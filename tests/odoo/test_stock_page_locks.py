"""Stock pages under order load: a change never waits for levels whose figure stays the same.

Another transaction holding a stock level is played by a second database connection that
locks the level's row, as an order batch does while it reserves.
"""

import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal

import psycopg
import pytest
from django.db import connection as db_connection

from catalog.models import Product, StockLevel
from catalog.services import stock
from integrations.models import InboundEvent, InboundState
from integrations.odoo.stock_pages import apply_stock_events
from integrations.odoo.tasks import poll_stock
from integrations.sandbox.odoo import seed
from tests.odoo.conftest import make_odoo_connection
from tests.odoo.helpers import install_recording_shop, make_pair, make_product
from tests.odoo.test_stock_pages import erp, level_of, stock_item, store, warehouse_of  # noqa: F401 (fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@contextmanager
def level_held(*levels):
    """Hold the stock levels' rows locked in another database connection until the block ends."""
    settings = db_connection.settings_dict
    other = psycopg.connect(
        host=settings["HOST"] or None, port=settings["PORT"] or None, user=settings["USER"], dbname=settings["NAME"]
    )
    try:
        other.execute(
            f"SELECT id FROM {StockLevel._meta.db_table} WHERE id = ANY(%s) ORDER BY id FOR UPDATE", [[level.pk for level in levels]]
        )
        yield
    finally:
        other.rollback()
        other.close()


def test_unchanged_level_held_elsewhere_deferred(erp):  # noqa: F811
    warehouse = warehouse_of(erp)
    stock.record_on_hand(Product.objects.create(sku="SL-SAME"), warehouse, 5)
    event_ids = store(erp, [stock_item("SL-SAME", 5)])

    with level_held(level_of("SL-SAME", warehouse)):
        counts = apply_stock_events(erp, event_ids)

    assert counts == {"deferred": 1}
    event = InboundEvent.objects.get(pk=event_ids[0])
    assert event.state == InboundState.PENDING
    assert event.attempts == 0

    # Once the level is free, the next step takes the event by the full rules.
    counts = apply_stock_events(erp, event_ids)

    assert counts == {"skipped": 1}
    event.refresh_from_db()
    assert (event.state, event.outcome, event.attempts) == (InboundState.PROCESSED, "skipped", 1)
    assert level_of("SL-SAME", warehouse).on_hand == Decimal("5")


def test_change_applied_while_unchanged_level_held(erp):  # noqa: F811
    warehouse = warehouse_of(erp)
    stock.record_on_hand(Product.objects.create(sku="SL-HELD"), warehouse, 5)
    stock.record_on_hand(Product.objects.create(sku="SL-MOVED"), warehouse, 5)
    held, moved = store(erp, [stock_item("SL-HELD", 5), stock_item("SL-MOVED", 2)])

    started = time.monotonic()
    with level_held(level_of("SL-HELD", warehouse)):
        counts = apply_stock_events(erp, [held, moved])
        elapsed = time.monotonic() - started

    assert counts == {"updated": 1, "deferred": 1}
    # It did not wait for the held level: the lock is released only when the block ends.
    assert elapsed < 5
    assert level_of("SL-MOVED", warehouse).on_hand == Decimal("2")
    assert InboundEvent.objects.get(pk=moved).outcome == "updated"
    assert InboundEvent.objects.get(pk=held).state == InboundState.PENDING


def test_change_waits_for_its_held_level(erp):  # noqa: F811
    warehouse = warehouse_of(erp)
    stock.record_on_hand(Product.objects.create(sku="SL-WAIT"), warehouse, 5)
    event_ids = store(erp, [stock_item("SL-WAIT", 8)])
    result = {}

    def apply_in_thread():
        try:
            result["counts"] = apply_stock_events(erp, event_ids)
        finally:
            db_connection.close()

    with level_held(level_of("SL-WAIT", warehouse)):
        worker = threading.Thread(target=apply_in_thread)
        worker.start()
        worker.join(timeout=1)
        # A changing figure is never deferred: it waits for the level.
        assert worker.is_alive()
    worker.join(timeout=30)

    assert result["counts"] == {"updated": 1}
    assert level_of("SL-WAIT", warehouse).on_hand == Decimal("8")


def test_free_change_committed_before_held_one(erp):  # noqa: F811
    warehouse = warehouse_of(erp)
    stock.record_on_hand(Product.objects.create(sku="SL-FIRST"), warehouse, 5)
    stock.record_on_hand(Product.objects.create(sku="SL-LATER"), warehouse, 5)
    event_ids = store(erp, [stock_item("SL-FIRST", 1), stock_item("SL-LATER", 2)])
    result = {}

    def apply_in_thread():
        try:
            result["counts"] = apply_stock_events(erp, event_ids)
        finally:
            db_connection.close()

    with level_held(level_of("SL-LATER", warehouse)):
        worker = threading.Thread(target=apply_in_thread)
        worker.start()
        worker.join(timeout=1)
        # The free level's figure is committed while the step still waits for the held one.
        assert worker.is_alive()
        assert level_of("SL-FIRST", warehouse).on_hand == Decimal("1")
        assert level_of("SL-LATER", warehouse).on_hand == Decimal("5")
    worker.join(timeout=30)

    assert result["counts"] == {"updated": 2}
    assert level_of("SL-LATER", warehouse).on_hand == Decimal("2")


def test_newer_read_applied_counts_as_unchanged(erp):  # noqa: F811
    from datetime import timedelta

    from tests.odoo.test_stock_pages import READ_AT

    warehouse = warehouse_of(erp)
    stock.record_on_hand(Product.objects.create(sku="SL-STALE"), warehouse, 5)
    apply_stock_events(erp, store(erp, [stock_item("SL-STALE", 7, read_at=READ_AT + timedelta(seconds=5))]))
    older = store(erp, [stock_item("SL-STALE", 3, read_at=READ_AT)])

    with level_held(level_of("SL-STALE", warehouse)):
        counts = apply_stock_events(erp, older)

    # The older read would change nothing, so it does not wait for the level either.
    assert counts == {"deferred": 1}
    assert apply_stock_events(erp, older) == {"stale": 1}
    assert level_of("SL-STALE", warehouse).on_hand == Decimal("7")


def test_poll_stock_applies_left_over_events(sandbox):
    install_recording_shop()
    connection = make_odoo_connection()
    make_pair(connection)
    make_product("SL-LEFT", on_hand=4, odoo_quantity=4)
    seed.set_stock("SL-LEFT", 6)
    first = poll_stock(connection)
    applied = InboundEvent.objects.get(connection=connection, entity="stock")
    warehouse = StockLevel.objects.get(product__sku="SL-LEFT", warehouse__code=f"{connection.slug}-wh").warehouse
    # An event of an earlier step that stayed pending, read after the applied one.
    left_over = store(connection, [stock_item(
        "SL-LEFT", 9, read_at=datetime.now(UTC), odoo_product_id=applied.payload["product_id"], warehouse_id=applied.payload["warehouse_id"]
    )])

    # Odoo reports no change since the last step, but the pending event is applied.
    second = poll_stock(connection)

    assert (first, second) == (1, 0)
    event = InboundEvent.objects.get(pk=left_over[0])
    assert (event.state, event.outcome) == (InboundState.PROCESSED, "updated")
    assert StockLevel.objects.get(product__sku="SL-LEFT", warehouse=warehouse).on_hand == Decimal("9")
