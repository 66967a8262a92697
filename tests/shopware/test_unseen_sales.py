"""A stock figure written to the shop never puts back units the shop sold before Kontor heard of it.

The sandbox shop takes an order's units out of its own stock when the order is placed, as
Shopware does. Its order webhook is only sent when the test runs the on-commit callbacks, so
leaving them out plays an order whose webhook has not arrived yet.
"""

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from catalog.services import stock
from integrations.models import Binding, OutboundState
from integrations.sandbox import store
from integrations.sandbox.shopware.orders import PlacedLine, apply_transition, place_order
from integrations.services.batches import deliver_due_messages
from integrations.services.cursors import run_delta_pull
from integrations.services.delivery import deliver_message
from integrations.services.outbox import enqueue_outbound
from integrations.services.unseen_sales import BASELINE_AGE_LIMIT, UNSEEN_HOLD, release_expired
from integrations.shopware.tasks import push_catalog, push_stock
from orders.models import Order

pytestmark = pytest.mark.django_db

SENDS = itertools.count()


def shop_stock(sku):
    return store.find_by_natural_key("shopware", "product", sku).data["stock"]


def set_shop_stock(sku, figure):
    row = store.find_by_natural_key("shopware", "product", sku)
    row.data = {**row.data, "stock": figure, "availableStock": figure}
    row.save()


def sell_in_shop(sku, quantity):
    """Place an order in the sandbox shop whose webhook never leaves: Kontor does not know it."""
    product = store.find_by_natural_key("shopware", "product", sku).data
    return place_order(
        [PlacedLine(product=product, quantity=quantity, unit_gross=Decimal("11.90"))],
        customer_number="17850", country_iso="DE", placed_at=timezone.now(),
    )


def queue_stock(product):
    # A payload of its own each time: the outbox skips a payload it delivered last.
    with transaction.atomic():
        return enqueue_outbound(product, "stock", {"sku": product.sku, "sent": next(SENDS)})[0]


def send_stock(product):
    assert deliver_message(queue_stock(product).pk) == OutboundState.DELIVERED


def binding_of(connection, product):
    return Binding.objects.get(connection=connection, object_id=str(product.pk), content_type__model="product")


@pytest.fixture
def pushed(sandbox, connection, warehouse, make_product):
    """A product in the shop with 10 units, and Kontor's figure of 10 written as a stock figure."""
    product = make_product("UNSEEN-1", on_hand=10)
    push_catalog(connection.pk)
    send_stock(product)
    assert shop_stock("UNSEEN-1") == 10
    return product


def test_unseen_sale_held_until_order_arrives(pushed, connection, warehouse):
    sell_in_shop("UNSEEN-1", 2)
    assert shop_stock("UNSEEN-1") == 8

    # The ERP raises on-hand to 12 before the order reaches Kontor.
    stock.record_on_hand(pushed, warehouse, 12)
    send_stock(pushed)

    assert shop_stock("UNSEEN-1") == 10
    binding = binding_of(connection, pushed)
    assert binding.stock_sent == 10
    assert binding.stock_unseen == 2

    # Another figure before the order arrives keeps the two units back.
    send_stock(pushed)
    assert shop_stock("UNSEEN-1") == 10

    # The order arrives by the delta pull and reserves its two units: they are not taken twice.
    run_delta_pull(connection, "orders", process_inline=True)
    assert Order.objects.get().lines.get().quantity == 2
    send_stock(pushed)

    assert shop_stock("UNSEEN-1") == 10
    binding = binding_of(connection, pushed)
    assert binding.stock_sent == 10
    assert binding.stock_unseen == 0
    assert binding.stock_unseen_since is None


def test_known_sale_not_taken_twice(pushed, connection, django_capture_on_commit_callbacks):
    from tests.shopware.test_orders import process_all

    with django_capture_on_commit_callbacks(execute=True):
        sell_in_shop("UNSEEN-1", 3)
    process_all()
    assert shop_stock("UNSEEN-1") == 7

    send_stock(pushed)

    assert shop_stock("UNSEEN-1") == 7
    assert binding_of(connection, pushed).stock_unseen == 0

    # A later sale that Kontor has not received is still found beside the one it has.
    sell_in_shop("UNSEEN-1", 2)
    send_stock(pushed)

    assert shop_stock("UNSEEN-1") == 5
    assert binding_of(connection, pushed).stock_unseen == 2


def test_hand_lowered_figure_held_for_limited_time(pushed, connection):
    set_shop_stock("UNSEEN-1", 6)

    send_stock(pushed)
    assert shop_stock("UNSEEN-1") == 6
    assert binding_of(connection, pushed).stock_unseen == 4

    Binding.objects.filter(pk=binding_of(connection, pushed).pk).update(
        stock_unseen_since=timezone.now() - UNSEEN_HOLD - timedelta(seconds=1)
    )
    send_stock(pushed)

    assert shop_stock("UNSEEN-1") == 10
    assert binding_of(connection, pushed).stock_unseen == 0


def test_sweep_releases_expired_hold(pushed, connection, django_capture_on_commit_callbacks):
    set_shop_stock("UNSEEN-1", 7)
    send_stock(pushed)
    assert shop_stock("UNSEEN-1") == 7
    assert release_expired(timezone.now()) == []

    Binding.objects.filter(pk=binding_of(connection, pushed).pk).update(
        stock_unseen_since=timezone.now() - UNSEEN_HOLD - timedelta(seconds=1)
    )
    assert release_expired(timezone.now()) == [pushed.pk]
    assert deliver_due_messages("hot") == {"delivered": 1}

    assert shop_stock("UNSEEN-1") == 10
    assert binding_of(connection, pushed).stock_unseen == 0


def test_unseen_cancelled_order_releases_units(pushed, connection):
    placed = sell_in_shop("UNSEEN-1", 4)
    send_stock(pushed)
    assert shop_stock("UNSEEN-1") == 6

    # The shop cancels it and puts the four units back, still before Kontor hears of the order.
    apply_transition("order", placed["id"], "cancel")
    assert shop_stock("UNSEEN-1") == 10
    send_stock(pushed)

    assert shop_stock("UNSEEN-1") == 10
    assert binding_of(connection, pushed).stock_unseen == 0


def test_batches_hold_back_unseen_sales(pushed, connection, warehouse, make_product):
    other = make_product("UNSEEN-2", on_hand=5)
    push_catalog(connection.pk, product_ids=[other.pk])
    assert push_stock(connection.pk) == 2
    sell_in_shop("UNSEEN-1", 1)
    sell_in_shop("UNSEEN-2", 2)

    stock.record_on_hand(pushed, warehouse, 11)
    queue_stock(pushed)
    queue_stock(other)
    assert deliver_due_messages("hot") == {"delivered": 2}

    assert shop_stock("UNSEEN-1") == 10
    assert shop_stock("UNSEEN-2") == 3

    assert push_stock(connection.pk) == 2
    assert shop_stock("UNSEEN-1") == 10
    assert shop_stock("UNSEEN-2") == 3
    assert binding_of(connection, other).stock_unseen == 2


def test_catalog_push_leaves_stock_alone(pushed, connection, warehouse):
    sell_in_shop("UNSEEN-1", 3)
    send_stock(pushed)
    pushed.gtin = "4006381333931"
    pushed.save()

    push_catalog(connection.pk)

    assert store.find_by_natural_key("shopware", "product", "UNSEEN-1").data["ean"] == "4006381333931"
    assert shop_stock("UNSEEN-1") == 7
    binding = binding_of(connection, pushed)
    assert binding.stock_sent == 7
    assert binding.stock_unseen == 3


def test_first_catalog_push_sets_stock(sandbox, connection, warehouse, make_product):
    product = make_product("UNSEEN-NEW", on_hand=5)

    push_catalog(connection.pk)

    assert shop_stock("UNSEEN-NEW") == 5
    binding = binding_of(connection, product)
    assert binding.stock_sent is None
    assert binding.stock_known_since is None


def test_stale_baseline_not_compared(pushed, connection):
    Binding.objects.filter(pk=binding_of(connection, pushed).pk).update(
        stock_known_since=timezone.now() - BASELINE_AGE_LIMIT - timedelta(seconds=1)
    )
    set_shop_stock("UNSEEN-1", 6)

    send_stock(pushed)

    assert shop_stock("UNSEEN-1") == 10
    assert binding_of(connection, pushed).stock_unseen == 0


def test_admin_shows_baseline_read_only(pushed, connection, client):
    from django.contrib.auth import get_user_model
    from django.urls import reverse
    from django.utils import translation

    set_shop_stock("UNSEEN-1", 8)
    send_stock(pushed)
    client.force_login(get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-admin-1"))
    url = reverse("admin:integrations_binding_change", args=[binding_of(connection, pushed).pk])

    with translation.override("de"):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert "Bestand in einem Shop, der selbst zählt" in page
    assert "Im Fremdsystem verkaufte, noch nicht empfangene Einheiten" in page
    assert 'name="stock_unseen"' not in page
    assert 'name="stock_sent"' not in page
    assert '<div class="readonly">2</div>' in page
