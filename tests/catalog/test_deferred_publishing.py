"""Stock figures collected during a batch are published once per product, when the batch ends."""

import pytest
from django.db import transaction

from catalog.services import stock
from catalog.services.availability import deferred_publishing, publish_availability
from integrations.models import Connection, ConnectionEntity, Direction, OutboundMessage
from integrations.services.outbox import remembered_subscriptions, subscribed_entities
from tests.factories import ProductFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shops():
    """Two shop connections that receive stock."""
    shops = []
    for slug in ("shop-a", "shop-b"):
        shop = Connection.objects.create(kind="shopware", name=slug, slug=slug, base_url=f"https://{slug}.example")
        ConnectionEntity.objects.create(connection=shop, entity="stock", direction=Direction.OUT)
        shops.append(shop)
    return shops


@pytest.fixture
def products():
    warehouse = WarehouseFactory(code="main")
    made = [ProductFactory(sku=sku) for sku in ("DEF-1", "DEF-2")]
    for product in made:
        stock.record_on_hand(product, warehouse, 10)
    OutboundMessage.objects.all().delete()
    return made


def pending_by_shop():
    return sorted(
        (message.connection.slug, message.payload["sku"], message.payload["available"])
        for message in OutboundMessage.objects.filter(entity="stock", state="pending").select_related("connection")
    )


def test_publishes_final_figure_once(shops, products):
    first, second = products

    with transaction.atomic(), deferred_publishing():
        assert publish_availability([first.pk]) == []
        stock.record_on_hand(first, first.stock_levels.get().warehouse, 7)
        publish_availability([first.pk, second.pk])
        assert OutboundMessage.objects.filter(entity="stock").count() == 0

    assert pending_by_shop() == [
        ("shop-a", "DEF-1", "7"), ("shop-a", "DEF-2", "10"), ("shop-b", "DEF-1", "7"), ("shop-b", "DEF-2", "10"),
    ]
    assert OutboundMessage.objects.filter(entity="stock").count() == 4


def test_keeps_each_change_origin(shops, products):
    shop_a, _shop_b = shops
    first, second = products

    with transaction.atomic(), deferred_publishing():
        publish_availability([first.pk], origin=shop_a)
        publish_availability([second.pk])

    # shop-a sent the change of DEF-1 itself, so it gets no echo of it.
    assert pending_by_shop() == [("shop-a", "DEF-2", "10"), ("shop-b", "DEF-1", "10"), ("shop-b", "DEF-2", "10")]


def test_failed_block_publishes_nothing(shops, products):
    with pytest.raises(RuntimeError), transaction.atomic(), deferred_publishing():
        publish_availability([product.pk for product in products])
        raise RuntimeError("rolled back")

    with transaction.atomic():
        publish_availability([])
    assert pending_by_shop() == []


def test_nested_block_joins_outer(shops, products):
    first, second = products

    with transaction.atomic(), deferred_publishing():
        with deferred_publishing():
            publish_availability([first.pk])
        assert pending_by_shop() == []
        publish_availability([second.pk])

    assert sorted(sku for _slug, sku, _available in pending_by_shop()) == ["DEF-1", "DEF-1", "DEF-2", "DEF-2"]


def test_remembered_subscriptions_read_once(shops, django_assert_num_queries):
    with remembered_subscriptions():
        with django_assert_num_queries(1):
            first = subscribed_entities("stock")
            again = subscribed_entities("stock")
        # Another origin is read separately.
        with django_assert_num_queries(1):
            without_a = subscribed_entities("stock", origin=shops[0])

    assert [entity.connection.slug for entity in first] == [entity.connection.slug for entity in again] == ["shop-a", "shop-b"]
    assert [entity.connection.slug for entity in without_a] == ["shop-b"]
    with django_assert_num_queries(1):
        subscribed_entities("stock")

