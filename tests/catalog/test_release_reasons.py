"""Stock reservation release reasons: stored as codes, shown as labels in the reader's language."""

import html
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import translation

from catalog.models import Channel, Product, StockLevel, StockMovement, StockReservation, Warehouse
from catalog.models.stock import MovementReason, ReleaseReason, ReservationState
from catalog.services import stock
from orders.models import Order, OrderLine

pytestmark = pytest.mark.django_db

BEFORE_CODES = ("catalog", "0002_stock_reservation_order_line")
WITH_CODES = ("catalog", "0003_stock_reservation_release_reason_codes")


def reserved_order(number, sku="CAM-1", quantity="2"):
    """Order `number` of channel shop-de with one line of `sku`, its stock reserved in warehouse main."""
    warehouse, _created = Warehouse.objects.get_or_create(code="main", defaults={"name": "Main"})
    product, created = Product.objects.get_or_create(sku=sku)
    if created:
        stock.record_on_hand(product, warehouse, 10)
    channel, _created = Channel.objects.get_or_create(code="shop-de", defaults={"name": "Shop DE", "currencies": ["EUR"]})
    order = Order.objects.create(
        channel=channel, external_number=number, currency="EUR", placed_at="2026-12-01T10:00:00Z",
        total_net=Decimal(0), total_tax=Decimal(0), total_gross=Decimal(0),
    )
    OrderLine.objects.create(
        order=order, position=1, product=product, sku=sku, quantity=Decimal(quantity),
        unit_price=Decimal(0), total_net=Decimal(0), total_tax=Decimal(0), total_gross=Decimal(0),
    )
    stock.reserve_order(order)
    return order


def visible_text(page):
    """Return the visible text of `page`: no tags or scripts, entities decoded, spaces collapsed."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.fixture
def admin_client_de(client):
    client.force_login(get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-admin-1"))
    return client


def get_german(client, url):
    """Return the visible text of the page at `url` as the German admin renders it."""
    # The override restores the language afterwards, because LocaleMiddleware would leave German
    # active for the tests that follow.
    with translation.override("de"):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    return visible_text(response.content.decode())


# Service


def test_release_stores_reason_code():
    order = reserved_order("1001")

    released = stock.release_order(order, ReleaseReason.ORDER_CANCELLED)

    assert released == 1
    assert list(StockReservation.objects.values_list("state", "release_reason")) == [(ReservationState.RELEASED, "order_cancelled")]
    movement = StockMovement.objects.get(reason=MovementReason.RELEASE)
    assert movement.reference == "shop-de/1001: order_cancelled"
    assert movement.reserved_delta == Decimal(-2)
    assert StockLevel.objects.get(product__sku="CAM-1").reserved == Decimal(0)


def test_release_accepts_stored_code_string():
    order = reserved_order("1001")

    stock.release_order(order, "erp_holds_stock")

    assert StockReservation.objects.get().release_reason == ReleaseReason.ERP_HOLDS_STOCK


def test_release_rejects_free_text_reason():
    order = reserved_order("1001")

    with pytest.raises(ValueError, match="'order cancelled' is not a ReleaseReason code") as caught:
        stock.release_order(order, "order cancelled")

    assert "order_cancelled, erp_holds_stock" in str(caught.value)
    assert StockReservation.objects.get().state == ReservationState.OPEN
    assert StockLevel.objects.get(product__sku="CAM-1").reserved == Decimal(2)
    assert not StockMovement.objects.filter(reason=MovementReason.RELEASE).exists()


def test_reason_label_in_german():
    reservation = StockReservation(release_reason=ReleaseReason.ORDER_CANCELLED)

    with translation.override("de"):
        assert reservation.get_release_reason_display() == "Bestellung storniert"
        assert str(ReleaseReason.ERP_HOLDS_STOCK.label) == "ERP hält den Bestand für den bestätigten Auftrag"


def test_movement_reference_label_in_german():
    cancelled = StockMovement(reason=MovementReason.RELEASE, reference="shop-de/1001: order_cancelled")
    legacy = StockMovement(reason=MovementReason.RELEASE, reference="shop-de/1002: handed over by hand")
    reservation = StockMovement(reason=MovementReason.RESERVATION, reference="shop-de/1003: order_cancelled")

    with translation.override("de"):
        assert cancelled.reference_label() == "shop-de/1001: Bestellung storniert"
        assert legacy.reference_label() == "shop-de/1002: handed over by hand"
        assert reservation.reference_label() == "shop-de/1003: order_cancelled"


# Admin


def test_reservation_list_shows_german_reason(admin_client_de):
    stock.release_order(reserved_order("1001"), ReleaseReason.ORDER_CANCELLED)
    stock.release_order(reserved_order("1002"), ReleaseReason.ERP_HOLDS_STOCK)

    text = get_german(admin_client_de, reverse("admin:catalog_stockreservation_changelist"))

    assert "Bestellung storniert" in text
    assert "ERP hält den Bestand für den bestätigten Auftrag" in text
    assert "order_cancelled" not in text
    assert "erp_holds_stock" not in text


def test_reservation_page_shows_german_reason(admin_client_de):
    stock.release_order(reserved_order("1001"), ReleaseReason.ORDER_CANCELLED)
    reservation = StockReservation.objects.get()

    text = get_german(admin_client_de, reverse("admin:catalog_stockreservation_change", args=[reservation.pk]))

    assert "Grund der Aufhebung: Bestellung storniert" in text
    assert "order_cancelled" not in text


def test_reservation_admin_shows_legacy_text_as_stored(admin_client_de):
    stock.release_order(reserved_order("1001"), ReleaseReason.ORDER_CANCELLED)
    StockReservation.objects.update(release_reason="handed over by hand")
    reservation = StockReservation.objects.get()

    list_text = get_german(admin_client_de, reverse("admin:catalog_stockreservation_changelist"))
    page_text = get_german(admin_client_de, reverse("admin:catalog_stockreservation_change", args=[reservation.pk]))

    assert "handed over by hand" in list_text
    assert "Grund der Aufhebung: handed over by hand" in page_text


def test_movement_list_shows_german_reason(admin_client_de):
    stock.release_order(reserved_order("1001"), ReleaseReason.ORDER_CANCELLED)

    text = get_german(admin_client_de, reverse("admin:catalog_stockmovement_changelist"))

    assert "shop-de/1001: Bestellung storniert" in text
    assert "order_cancelled" not in text


def test_movement_page_shows_german_reason(admin_client_de):
    stock.release_order(reserved_order("1001"), ReleaseReason.ORDER_CANCELLED)
    movement = StockMovement.objects.get(reason=MovementReason.RELEASE)

    text = get_german(admin_client_de, reverse("admin:catalog_stockmovement_change", args=[movement.pk]))

    assert "Referenz: shop-de/1001: Bestellung storniert" in text
    assert "order_cancelled" not in text


# Migration


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


def store_legacy_reasons():
    """Release five orders and store the texts that the callers wrote before the codes existed."""
    texts = {
        "1001": "order cancelled",
        "1002": "Bestellung storniert",
        "1003": "Odoo holds the stock of the confirmed order",
        "1004": "Odoo hält den Bestand für den bestätigten Auftrag",
        "1005": "handed over by hand",
    }
    for number, text in texts.items():
        stock.release_order(reserved_order(number), ReleaseReason.ORDER_CANCELLED)
        StockReservation.objects.filter(order_line__order__external_number=number).update(release_reason=text)
        StockMovement.objects.filter(reference=f"shop-de/{number}: order_cancelled").update(reference=f"shop-de/{number}: {text}")


def stored_reasons():
    return dict(StockReservation.objects.values_list("order_line__order__external_number", "release_reason"))


def stored_references():
    return sorted(StockMovement.objects.filter(reason=MovementReason.RELEASE).values_list("reference", flat=True))


# SQLite cannot run a migration inside the test's transaction with foreign key checks on.
@pytest.mark.postgres
def test_migration_maps_stored_texts_to_codes():
    store_legacy_reasons()
    # A reservation movement keeps its reference even where it ends like a release reason.
    product = Product.objects.get(sku="CAM-1")
    StockMovement.objects.create(
        product=product, warehouse=Warehouse.objects.get(code="main"), reserved_delta=1,
        reason=MovementReason.RESERVATION, reference="shop-de/1006: order cancelled",
    )

    try:
        migrate(BEFORE_CODES)
        migrate(WITH_CODES)
    finally:
        migrate(WITH_CODES)

    assert stored_reasons() == {
        "1001": "order_cancelled",
        "1002": "order_cancelled",
        "1003": "erp_holds_stock",
        "1004": "erp_holds_stock",
        "1005": "handed over by hand",
    }
    assert stored_references() == [
        "shop-de/1001: order_cancelled",
        "shop-de/1002: order_cancelled",
        "shop-de/1003: erp_holds_stock",
        "shop-de/1004: erp_holds_stock",
        "shop-de/1005: handed over by hand",
    ]
    assert StockMovement.objects.get(reason=MovementReason.RESERVATION, reference__startswith="shop-de/1006").reference == (
        "shop-de/1006: order cancelled"
    )


# SQLite cannot run a migration inside the test's transaction with foreign key checks on.
@pytest.mark.postgres
def test_migration_reverse_writes_english_texts():
    stock.release_order(reserved_order("1001"), ReleaseReason.ORDER_CANCELLED)
    stock.release_order(reserved_order("1002"), ReleaseReason.ERP_HOLDS_STOCK)

    try:
        migrate(BEFORE_CODES)
        reasons = stored_reasons()
        references = stored_references()
    finally:
        migrate(WITH_CODES)

    assert reasons == {"1001": "order cancelled", "1002": "Odoo holds the stock of the confirmed order"}
    assert references == ["shop-de/1001: order cancelled", "shop-de/1002: Odoo holds the stock of the confirmed order"]
