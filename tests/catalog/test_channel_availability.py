"""Available quantities per channel, read for many products at once."""

from decimal import Decimal

import pytest

from catalog.models import Channel, ChannelStockBuffer, Product, StockLevel, Warehouse
from catalog.services import stock

pytestmark = pytest.mark.django_db


def test_many_products_match_single_reads():
    # Given products with their own buffer, the channel's default buffer, reservations, no stock and an inactive warehouse
    channel = Channel.objects.create(code="shop-de", name="Shop DE", currencies=["EUR"])
    other = Channel.objects.create(code="shop-at", name="Shop AT", currencies=["EUR"])
    main = Warehouse.objects.create(code="main", name="Main")
    closed = Warehouse.objects.create(code="closed", name="Closed", is_active=False)
    camera, lens, bag, tripod = (Product.objects.create(sku=sku) for sku in ("CAM-1", "LENS-1", "BAG-1", "TRIPOD-1"))
    stock.record_on_hand(camera, main, 10)
    stock.record_on_hand(camera, closed, 50)
    stock.record_on_hand(lens, main, 3)
    stock.record_on_hand(bag, main, 1)
    StockLevel.objects.filter(product=camera, warehouse=main).update(reserved=4)
    ChannelStockBuffer.objects.create(channel=channel, product=camera, quantity=1)
    ChannelStockBuffer.objects.create(channel=channel, product=None, quantity=2)
    ChannelStockBuffer.objects.create(channel=other, product=None, quantity=9)
    products = [camera, lens, bag, tripod]

    # When the availability of all of them is read at once
    available = stock.available_for_channel_many([product.pk for product in products], channel)

    # Then each figure is the one available_for_channel gives
    assert available == {product.pk: stock.available_for_channel(product, channel) for product in products}
    assert [available[product.pk] for product in products] == [Decimal(5), Decimal(1), Decimal(0), Decimal(0)]
