"""End to end against the sandbox: the Shopware shop places orders, Odoo receives them, stock returns.

Both simulated systems run with faults on. Lanes are driven in this process by `settle`,
which does what the hot-lane workers and the sweep do, until nothing is left to do.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
import responses
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from catalog.models import Channel, Product, Warehouse
from catalog.services import stock
from catalog.services.stock import available_for_channel
from integrations.errors import ConnectorError
from integrations.models import (
    Connection,
    InboundEvent,
    InboundState,
    OutboundMessage,
    OutboundState,
    SyncError,
)
from integrations.odoo.routes import set_up_shop_and_erp
from integrations.odoo.tasks import poll_once
from integrations.ratelimit import redis_client
from integrations.sandbox import faults, store, webhooks
from integrations.sandbox.odoo import records
from integrations.sandbox.odoo import seed as odoo_seed
from integrations.sandbox.shopware import state, stream
from integrations.sandbox.testing import route_to_django
from integrations.services.cursors import run_delta_pull
from integrations.services.delivery import deliver_message
from integrations.services.syncruns import retry_sync_errors
from integrations.shopware.tasks import push_catalog
from integrations.tasks import process_inbound_event
from orders.models import Order, OrderStatus
from tests.factories import PriceFactory, ProductTranslationFactory

pytestmark = pytest.mark.django_db

SKUS = [f"E2E-{index:02d}" for index in range(12)]
ORDER_EVENTS = ("checkout.order.placed", "state_enter.order.state.cancelled")


@pytest.fixture
def sandbox():
    cache.clear()
    redis_client(settings.REDIS_URL).flushdb()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        route_to_django(rsps)
        yield rsps


def make_connections():
    channel = Channel.objects.create(code="shopware-de", name="Shopware DE", currencies=["EUR", "GBP", "USD"])
    shop = Connection(kind="shopware", name="Shopware DE", slug="shopware-de", base_url="http://testserver/sandbox/shopware", rate_limit_per_second=1000, rate_limit_burst=1000)
    shop.set_credentials({"access_key_id": state.DEFAULT_ACCESS_KEY, "secret_access_key": state.DEFAULT_SECRET_ACCESS_KEY, "shop_secret": state.DEFAULT_SHOP_SECRET})
    shop.save()
    erp = Connection(kind="odoo", name="Odoo", slug="odoo", base_url="http://testserver/sandbox/odoo", rate_limit_per_second=1000, rate_limit_burst=1000)
    erp.set_credentials({"database": odoo_seed.DEFAULT_DATABASE, "login": odoo_seed.DEFAULT_LOGIN, "api_key": odoo_seed.DEFAULT_API_KEY, "version": "19.0"})
    erp.save()
    set_up_shop_and_erp(shop, erp)
    state.update_settings({"webhooks": [{"name": event, "eventName": event, "url": "http://testserver/hooks/shopware-de/"} for event in ORDER_EVENTS]})
    return channel, shop, erp


def make_catalog(quantity):
    warehouse = Warehouse.objects.create(code="seed", name="Before the first ERP pull")
    for sku in SKUS:
        product = Product.objects.create(sku=sku)
        ProductTranslationFactory(product=product, locale="de_DE", name=f"Artikel {sku}")
        PriceFactory(product=product, currency="EUR", amount=Decimal("11.90"))
        stock.record_on_hand(product, warehouse, 0)
        odoo_seed.add_product(sku, f"Artikel {sku}", quantity=quantity)


def settle(shop, erp, rounds=40):
    """Run inbox (in batches, as the hot-lane task does), outbox, delta pulls and Odoo polls until a round finds no work."""
    for _round in range(rounds):
        webhooks.flush_held("shopware")
        run_delta_pull(shop, "orders", overlap=timedelta(minutes=5))
        try:
            poll_once(erp.pk)
        except ConnectorError:
            # The poll loop backs off and tries again; so does the next round.
            pass
        events = list(InboundEvent.objects.filter(state=InboundState.PENDING).order_by("pk").values_list("pk", flat=True))
        for event_id in events:
            process_inbound_event(event_id)
        OutboundMessage.objects.filter(state=OutboundState.PENDING).update(next_attempt_at=timezone.now())
        messages = list(OutboundMessage.objects.filter(state=OutboundState.PENDING).order_by("pk").values_list("pk", flat=True))
        for message_id in messages:
            deliver_message(message_id)
        # Time passes: open circuit breakers reach their reset timeout.
        redis_client(settings.REDIS_URL).flushdb()
        if not events and not messages:
            return
    raise AssertionError("the flow did not settle")


def run_flow(shop, erp, batches, django_capture_on_commit_callbacks):
    """Push the catalog, place `batches` x 10 replayed orders with faults on, then settle."""
    settle(shop, erp)
    push_catalog(shop.pk)
    settle(shop, erp)

    faults.update_faults("shopware", {"duplicate_webhooks_percent": 30, "drop_webhooks_percent": 20, "reorder_webhooks": True, "timeout_seconds": 0})
    faults.update_faults("odoo", {"server_error_percent": 10, "rate_limit_percent": 5, "retry_after_seconds": 0, "timeout_percent": 2, "timeout_seconds": 0})
    for _batch in range(batches):
        with django_capture_on_commit_callbacks(execute=True):
            stream.place_orders(10)
        settle(shop, erp)
    faults.reset_faults("odoo")
    faults.reset_faults("shopware")
    settle(shop, erp)
    # Support presses "retry" on what ran out of attempts while the ERP was failing.
    retry_sync_errors(SyncError.objects.all())
    settle(shop, erp)
    return [row.data for row in store.rows("shopware", "order")]


def assert_shop_stock_is_ledger_and_odoo(channel):
    for sku in SKUS:
        product = Product.objects.get(sku=sku)
        shop_stock = store.find_by_natural_key("shopware", "product", sku).data["stock"]
        assert shop_stock == int(available_for_channel(product, channel)), sku
        odoo_product = odoo_seed.product_by_sku(sku)
        quant = records.search("stock.quant", [["product_id", "=", odoo_product["id"]]])[0]
        assert quant["quantity"] - quant["reserved_quantity"] == shop_stock, sku


def test_every_shop_order_once_in_odoo_under_faults(sandbox, django_capture_on_commit_callbacks):
    channel, shop, erp = make_connections()
    make_catalog(quantity=40)

    shop_orders = run_flow(shop, erp, 4, django_capture_on_commit_callbacks)

    assert len(shop_orders) >= 10
    for placed in shop_orders:
        in_erp = records.search("sale.order", [["client_order_ref", "=", placed["orderNumber"]]])
        if placed["stateMachineState"]["technicalName"] != "cancelled":
            assert len(in_erp) == 1, placed["orderNumber"]
            continue
        # With webhooks reordered or dropped, Kontor may see a cancelled order first as
        # cancelled: it then stores it cancelled and sends it to no ERP. A cancellation that
        # comes while the order's ERP message waits withdraws the message.
        assert len(in_erp) <= 1, placed["orderNumber"]
        if not in_erp:
            assert Order.objects.get(external_number=placed["orderNumber"]).status == OrderStatus.CANCELLED
    assert Order.objects.count() == len(shop_orders)
    assert SyncError.objects.filter(resolved=False).count() == 0
    assert_shop_stock_is_ledger_and_odoo(channel)


def test_no_order_oversold_without_shop_cancellations(sandbox, django_capture_on_commit_callbacks, monkeypatch):
    # NOTE: a cancellation in the shop returns the units to the shop's own count at once, while
    # Kontor keeps the reservation, because the ERP leads order status and the shop's cancel is
    # recorded as a conflict. Kontor then sends its figure again, but an order placed in the
    # shop before that arrives can take reserved units. This test therefore replays the stream
    # without its cancellations.
    monkeypatch.setattr(stream, "cancel", lambda invoice, lines: False)
    channel, shop, erp = make_connections()
    make_catalog(quantity=40)

    shop_orders = run_flow(shop, erp, 4, django_capture_on_commit_callbacks)

    assert len(shop_orders) >= 10
    assert Order.objects.filter(needs_attention=True).count() == 0
    assert_shop_stock_is_ledger_and_odoo(channel)
