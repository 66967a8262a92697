"""Shopware channels take the shop's currencies, and orders in other currencies are rejected."""

import io
from decimal import Decimal

import pytest
import responses

from catalog.models import Channel
from core.demo import DEMO_STEPS, give_shop_channel_currencies, prepare_shop_and_erp_demo
from integrations.models import (
    Binding,
    Connection,
    InboundEvent,
    InboundState,
    OutboundMessage,
)
from integrations.services.inbox import process_inbound_batch, process_inbound_event
from orders.models import Order
from tests.shopware.webhook_posts import order_invalid_error
from tests.shopware.webhook_posts import post_fixture_order as post_order

pytestmark = pytest.mark.django_db


def currency_reads(sandbox):
    return [call for call in sandbox.calls if call.request.url.endswith("/api/search/currency")]


def test_channel_without_currencies_gets_shop_currencies(sandbox, client, connection, channel, make_product):
    make_product("SW-TEST-1", on_hand=5)
    Channel.objects.filter(pk=channel.pk).update(currencies=[])
    first = post_order(client)
    second = post_order(client, id="b3b9f0c2d4e64f1f8b2c7d9e0f1a2b3c", orderNumber="10043")

    process_inbound_event(first.pk)
    process_inbound_event(second.pk)

    channel.refresh_from_db()
    assert channel.currencies == ["EUR", "GBP", "USD"]
    assert len(currency_reads(sandbox)) == 1
    assert sorted(Order.objects.values_list("external_number", "currency")) == [("10042", "EUR"), ("10043", "EUR")]


def test_missing_channel_created_with_shop_currencies(sandbox, client, connection, make_product):
    make_product("SW-TEST-1", on_hand=5)
    connection.set_credentials({**connection.credentials, "channel": "shopware-new"})
    connection.save()
    first = post_order(client)
    second = post_order(client, id="b3b9f0c2d4e64f1f8b2c7d9e0f1a2b3c", orderNumber="10043")

    # One batch, one connection instance: both orders read the shop's currencies once.
    process_inbound_batch(first.pk)

    created = Channel.objects.get(code="shopware-new")
    assert created.currencies == ["EUR", "GBP", "USD"]
    assert created.name == "Shopware DE"
    assert len(currency_reads(sandbox)) == 1
    assert list(InboundEvent.objects.filter(pk__in=[first.pk, second.pk]).values_list("state", flat=True)) == [InboundState.PROCESSED] * 2
    assert set(Order.objects.values_list("channel__code", flat=True)) == {"shopware-new"}


def test_order_in_unsold_currency_is_rejected(sandbox, client, connection, channel, make_product):
    product = make_product("SW-TEST-1", on_hand=5)
    # A channel name apart from the connection's shows which of the two the message names.
    Channel.objects.filter(pk=channel.pk).update(currencies=[], name="Webshop DE")
    event = post_order(client, currency={"id": "c7d2554b0ce847cd82f3ac9bd1c0dfca", "isoCode": "CHF", "apiAlias": "currency"})

    process_inbound_event(event.pk)

    error = order_invalid_error(event)
    assert error.message == (
        "Shopware order 10042 was not imported: currency: Channel Webshop DE does not sell in CHF, only in "
        "EUR, GBP, USD. If the channel sells in CHF, add it to the channel's currencies in Kontor. Otherwise "
        "correct the order's currency. Nothing of it was saved. Fix the cause (catalog, channel currencies or "
        "the order in Shopware), then retry."
    )
    assert error.message_translations["de"] == (
        "Die Shopware-Bestellung 10042 wurde nicht übernommen: currency: Vertriebskanal Webshop DE verkauft "
        "nicht in CHF, nur in EUR, GBP, USD. Wenn der Vertriebskanal in CHF verkauft, fügen Sie die Währung in "
        "Kontor seinen Währungen hinzu. Andernfalls korrigieren Sie die Währung der Bestellung. Nichts davon "
        "wurde gespeichert. Beheben Sie die Ursache (Katalog, Währungen des Kanals oder die Bestellung in "
        "Shopware) und versuchen Sie es erneut."
    )
    assert Order.objects.count() == 0
    assert Binding.objects.filter(connection=connection).count() == 0
    assert OutboundMessage.objects.count() == 0
    assert product.stock_levels.get().reserved == Decimal(0)


def test_shop_listing_no_currencies_rejects_order(client, connection, channel, make_product):
    make_product("SW-TEST-1", on_hand=5)
    Channel.objects.filter(pk=channel.pk).update(currencies=[], name="Webshop DE")
    event = post_order(client)

    with responses.RequestsMock() as shop:
        shop.add("POST", f"{connection.base_url}/api/oauth/token", json={"access_token": "token", "expires_in": 600})
        shop.add("POST", f"{connection.base_url}/api/search/currency", json={"total": 0, "data": []})
        process_inbound_event(event.pk)

    error = order_invalid_error(event)
    assert error.message == (
        "Shopware order 10042 was not imported: channel Webshop DE has no currencies and Shopware DE listed none, "
        "so Kontor cannot check the order's currency. Add the currencies that the shop sells to the channel in "
        "Kontor. Nothing of it was saved. Fix the cause (catalog, channel currencies or the order in Shopware), "
        "then retry."
    )
    assert Order.objects.count() == 0
    channel.refresh_from_db()
    assert channel.currencies == []


def test_channel_with_currencies_is_not_read_again(sandbox, client, connection, channel, make_product):
    make_product("SW-TEST-1", on_hand=5)
    event = post_order(client)

    process_inbound_event(event.pk)

    channel.refresh_from_db()
    assert channel.currencies == ["EUR"]
    assert currency_reads(sandbox) == []
    assert Order.objects.get().currency == "EUR"


def test_demo_channel_gets_sandbox_currencies(settings):
    settings.SANDBOX_ENABLED = True
    shop = Connection.objects.create(kind="shopware", name="Shopware (sandbox)", slug="shopware-sandbox", base_url="http://127.0.0.1:8000/sandbox/shopware")
    Channel.objects.create(code="shopware-sandbox", name="Shopware (sandbox)", currencies=[])
    output = io.StringIO()

    give_shop_channel_currencies(output)

    assert Channel.objects.get(code=shop.slug).currencies == ["EUR", "GBP", "USD"]
    assert output.getvalue() == "Shop channel shopware-sandbox sells in EUR, GBP, USD.\n"
    # The step runs after the one that creates the sandbox shop connection.
    assert DEMO_STEPS.index(give_shop_channel_currencies) == DEMO_STEPS.index(prepare_shop_and_erp_demo) + 1
