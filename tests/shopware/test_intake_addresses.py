"""Addresses of Shopware order webhooks: the order service's rules for countries and field lengths."""

from decimal import Decimal

import pytest
from django.db import connection as db_connection

from integrations.models import (
    Binding,
    Connection,
    ConnectionEntity,
    Direction,
    InboundState,
    OutboundMessage,
)
from integrations.services.inbox import process_inbound_event
from orders.models import Order
from tests.shopware.webhook_posts import order_invalid_error
from tests.shopware.webhook_posts import post_fixture_order as post_order

pytestmark = pytest.mark.django_db

SUFFIX = (
    " Nothing of it was saved. Fix the cause (catalog, channel currencies or the order in Shopware), then retry."
)


@pytest.fixture
def erp():
    """An ERP connection that receives orders, so an accepted order would be queued for it."""
    erp = Connection.objects.create(kind="odoo", name="Odoo", slug="odoo")
    ConnectionEntity.objects.create(connection=erp, entity="orders", direction=Direction.BOTH)
    return erp


def assert_rejected(event, connection, product, message):
    error = order_invalid_error(event)
    assert error.message == message
    assert Order.objects.count() == 0
    assert Binding.objects.filter(connection=connection).count() == 0
    assert OutboundMessage.objects.count() == 0
    assert product.stock_levels.get().reserved == Decimal(0)
    return error


def billing(order):
    return order["billingAddress"]


def shipping(order):
    return order["deliveries"][0]["shippingOrderAddress"]


@pytest.mark.parametrize(("address", "field"), [(billing, "billing_address"), (shipping, "shipping_address")])
def test_unknown_country_is_rejected(client, connection, erp, make_product, address, field):
    product = make_product("SW-TEST-1", on_hand=5)
    event = post_order(client, lambda order: address(order)["country"].update(iso="ZZ"))

    process_inbound_event(event.pk)

    error = assert_rejected(
        event, connection, product,
        f'Shopware order 10042 was not imported: {field}.country: Country "ZZ" is not an ISO 3166-1 alpha-2 '
        "country code. Correct the country of the address in the source system, such as DE for Germany." + SUFFIX,
    )
    assert error.message_translations["de"].startswith(
        f'Die Shopware-Bestellung 10042 wurde nicht übernommen: {field}.country: Land "ZZ" ist kein Ländercode '
        "nach ISO 3166-1 alpha-2. Korrigieren Sie das Land der Adresse im Quellsystem, etwa DE für Deutschland."
    )


def test_lower_case_country_is_rejected(client, connection, erp, make_product):
    product = make_product("SW-TEST-1", on_hand=5)
    event = post_order(client, lambda order: billing(order)["country"].update(iso="de"))

    process_inbound_event(event.pk)

    assert_rejected(
        event, connection, product,
        'Shopware order 10042 was not imported: billing_address.country: Country "de" is not an ISO 3166-1 alpha-2 '
        "country code. Correct the country of the address in the source system, such as DE for Germany." + SUFFIX,
    )


def test_known_countries_are_accepted(client, connection, erp, make_product):
    make_product("SW-TEST-1", on_hand=5)

    def change(order):
        billing(order)["country"].update(iso="AT")
        shipping(order)["country"].update(iso="CH")

    event = post_order(client, change)

    process_inbound_event(event.pk)

    event.refresh_from_db()
    assert event.state == InboundState.PROCESSED
    order = Order.objects.get()
    assert order.addresses.get(kind="billing").country.code == "AT"
    assert order.addresses.get(kind="shipping").country.code == "CH"
    assert OutboundMessage.objects.filter(connection=erp, entity="orders").count() == 1


def test_long_first_name_is_rejected_on_postgresql(client, connection, erp, make_product):
    product = make_product("SW-TEST-1", on_hand=5)
    event = post_order(client, lambda order: billing(order).update(firstName="E" * 500))

    process_inbound_event(event.pk)

    assert db_connection.vendor == "postgresql"
    error = assert_rejected(
        event, connection, product,
        "Shopware order 10042 was not imported: billing_address.first_name: billing_address.first_name has 500 "
        "characters, but Kontor stores at most 100. Shorten it in the source system." + SUFFIX,
    )
    assert error.message_translations["de"].startswith(
        "Die Shopware-Bestellung 10042 wurde nicht übernommen: billing_address.first_name: billing_address.first_name "
        "hat 500 Zeichen, aber Kontor speichert höchstens 100. Kürzen Sie den Wert im Quellsystem."
    )


def test_every_long_text_is_named(client, connection, erp, make_product):
    product = make_product("SW-TEST-1", on_hand=5)

    def change(order):
        shipping(order).update(city="B" * 101, zipcode="1" * 21)
        order["lineItems"][0].update(label="L" * 501)

    event = post_order(client, change)

    process_inbound_event(event.pk)

    assert_rejected(
        event, connection, product,
        "Shopware order 10042 was not imported: "
        "shipping_address.postal_code: shipping_address.postal_code has 21 characters, but Kontor stores at most 20. "
        "Shorten it in the source system; "
        "shipping_address.city: shipping_address.city has 101 characters, but Kontor stores at most 100. "
        "Shorten it in the source system; "
        "lines[0].name: lines[0].name has 501 characters, but Kontor stores at most 500. "
        "Shorten it in the source system." + SUFFIX,
    )


def test_texts_at_their_limits_are_stored(client, connection, erp, make_product):
    make_product("SW-TEST-1", on_hand=5)

    def change(order):
        billing(order).update(firstName="E" * 100, street="S" * 255)
        order["lineItems"][0].update(label="L" * 500)

    event = post_order(client, change)

    process_inbound_event(event.pk)

    event.refresh_from_db()
    assert event.state == InboundState.PROCESSED
    order = Order.objects.get()
    address = order.addresses.get(kind="billing")
    assert (address.first_name, address.street) == ("E" * 100, "S" * 255)
    assert order.lines.get().name == "L" * 500
