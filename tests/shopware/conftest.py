"""Fixtures for the Shopware connector: a connection to the sandbox shop, reached in-process.

`sandbox` routes every request for http://testserver/ (the connector's calls to the sandbox
shop and the shop's webhooks to /hooks/) into Django's test client, so no socket is opened.
"""

from decimal import Decimal

import pytest
import responses
from django.core.cache import cache

from catalog.models import Warehouse
from catalog.services import stock
from integrations.models import Connection, ConnectionEntity, Direction
from integrations.sandbox.shopware import state
from integrations.sandbox.testing import route_to_django
from tests.factories import ChannelFactory, PriceFactory, ProductFactory, ProductTranslationFactory

SLUG = "shopware-de"
HOOK_URL = f"http://testserver/hooks/{SLUG}/"
ORDER_EVENTS = ("checkout.order.placed", "state_enter.order.state.cancelled")


@pytest.fixture(autouse=True)
def fresh_cache():
    """Start each test without cached tokens, rate-limit buckets or circuit states.

    Connection ids repeat across test runs, so a token cached by an earlier run would
    otherwise be sent first and fail.
    """
    cache.clear()


@pytest.fixture
def sandbox():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        route_to_django(rsps)
        yield rsps


@pytest.fixture
def channel():
    return ChannelFactory(code=SLUG, name="Shopware DE", currencies=["EUR"])


@pytest.fixture
def connection(channel):
    connection = Connection(
        kind="shopware", name="Shopware DE", slug=SLUG, base_url="http://testserver/sandbox/shopware",
        rate_limit_per_second=Decimal(1000), rate_limit_burst=1000,
    )
    connection.set_credentials({
        "access_key_id": state.DEFAULT_ACCESS_KEY,
        "secret_access_key": state.DEFAULT_SECRET_ACCESS_KEY,
        "shop_secret": state.DEFAULT_SHOP_SECRET,
    })
    connection.save()
    for entity, direction in (("orders", Direction.BOTH), ("products", Direction.OUT), ("stock", Direction.OUT), ("prices", Direction.OUT)):
        ConnectionEntity.objects.create(connection=connection, entity=entity, direction=direction)
    state.update_settings({"webhooks": [{"name": event, "eventName": event, "url": HOOK_URL} for event in ORDER_EVENTS]})
    return connection


@pytest.fixture
def warehouse():
    return Warehouse.objects.create(code="main", name="Main")


@pytest.fixture
def make_product(warehouse):
    def make(sku, on_hand=10, gross="11.90", name=None):
        product = ProductFactory(sku=sku)
        ProductTranslationFactory(product=product, locale="de_DE", name=name or f"Artikel {sku}")
        if gross is not None:
            PriceFactory(product=product, currency="EUR", amount=Decimal(gross))
        stock.record_on_hand(product, warehouse, on_hand)
        return product

    return make


@pytest.fixture
def client_for():
    """Return a Shopware client for a connection that records its sleeps instead of sleeping."""

    def build(connection):
        sleeps = []
        client = connection.connector.client(connection, sleep=sleeps.append)
        client.sleeps = sleeps
        return client

    return build
