"""Shopware order amounts that the order tables cannot store: a named sync error, never internal_error."""

from decimal import Decimal

import pytest
from django.utils import translation

from catalog.models import StockLevel, StockReservation
from integrations.models import InboundEvent, InboundState, SyncError
from integrations.services.inbox import process_inbound_batch, process_inbound_event
from integrations.shopware import order_mapper
from integrations.shopware.inbound import channel_for
from integrations.shopware.tasks import push_catalog
from orders.models import Order, OrderLine, TaxLine
from tests.breakbatch.helpers import malformed, place, store_placed

pytestmark = pytest.mark.django_db

UNIT_PRICE_TOO_LARGE = (
    "the unit price of line 1 is 1000000000000000000000000000000, which has 31 digits before the decimal point, but Kontor stores at most 15. "
    "Correct the amount in the Shopware order"
)
UNIT_PRICE_TOO_LARGE_DE = (
    "Der Stückpreis von Position 1 ist 1000000000000000000000000000000 und hat 31 Stellen vor dem Komma, Kontor speichert aber höchstens 15. "
    "Korrigieren Sie den Betrag in der Shopware-Bestellung"
)


@pytest.fixture
def shop_order(sandbox, connection, make_product):
    """A placed Shopware order of one unit of AMT-1 (5 on hand), with its own webhook event removed."""
    make_product("AMT-1", on_hand=5)
    push_catalog(connection.pk)
    order = place(["AMT-1"])
    InboundEvent.objects.all().delete()
    return order


def with_line(order, number, **changes):
    """Return a copy of `order` under a new number whose first line item has `changes`."""
    changed = malformed(order, number)
    changed["lineItems"][0].update(changes)
    return changed


def assert_nothing_written():
    assert not Order.objects.exists()
    assert not OrderLine.objects.exists()
    assert not TaxLine.objects.exists()
    assert not StockReservation.objects.exists()
    assert StockLevel.objects.get(product__sku="AMT-1").reserved == Decimal(0)


def test_event_unit_price_too_large(shop_order, connection):
    event_id = store_placed(connection, with_line(shop_order, 1, unitPrice=1e30))

    process_inbound_event(event_id)

    assert InboundEvent.objects.get(pk=event_id).state == InboundState.FAILED
    error = SyncError.objects.get(inbound_event_id=event_id)
    assert error.code == "order_invalid"
    assert error.message == (
        f"Shopware order BROKEN-1 was not imported: {UNIT_PRICE_TOO_LARGE}. Nothing of it was saved. "
        "Fix the cause (catalog, channel currencies or the order in Shopware), then retry. "
        "Shopware fields concerned: lineItems[0].unitPrice."
    )
    assert UNIT_PRICE_TOO_LARGE_DE in error.message_translations["de"]
    assert error.message_translations["de"].endswith(" Betroffene Shopware-Felder: lineItems[0].unitPrice.")
    assert_nothing_written()


def test_batch_unit_price_too_large(shop_order, connection):
    event_id = store_placed(connection, with_line(shop_order, 1, unitPrice=1e30))
    good_id = store_placed(connection, shop_order)

    process_inbound_batch(event_id)

    assert InboundEvent.objects.get(pk=event_id).state == InboundState.FAILED
    assert InboundEvent.objects.get(pk=good_id).state == InboundState.PROCESSED
    error = SyncError.objects.get(inbound_event_id=event_id)
    assert error.code == "order_invalid"
    assert UNIT_PRICE_TOO_LARGE in error.message
    assert list(Order.objects.values_list("external_number", flat=True)) == [shop_order["orderNumber"]]
    assert StockLevel.objects.get(product__sku="AMT-1").reserved == Decimal(1)


def test_event_text_infinity_rejected(shop_order, connection):
    # JSON has no Infinity, but a string amount is read through its text, so "Infinity" arrives as one.
    event_id = store_placed(connection, with_line(shop_order, 2, totalPrice="Infinity"))

    process_inbound_event(event_id)

    assert InboundEvent.objects.get(pk=event_id).state == InboundState.FAILED
    error = SyncError.objects.get(inbound_event_id=event_id)
    assert "the total of line 1 is Infinity, which is not a finite number. Correct the value in the Shopware order" in error.message
    assert "Die Summe von Position 1 ist Infinity und damit keine endliche Zahl." in error.message_translations["de"]
    assert error.message.endswith(" Shopware fields concerned: lineItems[0].totalPrice.")
    assert_nothing_written()


def rejection_of(order):
    """Return the OrderRejected that mapping `order` raises."""
    with pytest.raises(order_mapper.OrderRejected) as raised:
        order_mapper.order_input(order, channel=None, connection=None)
    return raised.value


def mapped_problems(order):
    """Return the problems text of the OrderRejected that mapping `order` raises, in English and German."""
    problems = rejection_of(order).params["problems"]
    with translation.override("de"):
        german = str(problems)
    with translation.override("en"):
        return str(problems), german


@pytest.mark.parametrize(
    ("changes", "english", "german"),
    [
        (
            {"unitPrice": float("nan")},
            "the unit price of line 1 is NaN, which is not a finite number. Correct the value in the Shopware order",
            "Der Stückpreis von Position 1 ist NaN und damit keine endliche Zahl. Korrigieren Sie den Wert in der Shopware-Bestellung",
        ),
        (
            {"quantity": float("inf")},
            "the quantity of line 1 is Infinity, which is not a finite number. Correct the value in the Shopware order",
            "Die Menge von Position 1 ist Infinity und damit keine endliche Zahl. Korrigieren Sie den Wert in der Shopware-Bestellung",
        ),
        (
            {"unitPrice": 11.90005},
            "the unit price of line 1 is 11.90005, which has 5 decimal places, but Kontor stores at most 4. "
            "Round the amount in the Shopware order",
            "Der Stückpreis von Position 1 ist 11.90005 und hat 5 Nachkommastellen, Kontor speichert aber höchstens 4. "
            "Runden Sie den Betrag in der Shopware-Bestellung",
        ),
        (
            {"unitPrice": -11.9},
            "the unit price of line 1 is -11.9, but it must not be negative. Correct the amount in the Shopware order",
            "Der Stückpreis von Position 1 ist -11.9, darf aber nicht negativ sein. Korrigieren Sie den Betrag in der Shopware-Bestellung",
        ),
        (
            {"totalPrice": 1234567890123456},
            "the total of line 1 is 1234567890123456, which has 16 digits before the decimal point, but Kontor "
            "stores at most 15. Correct the amount in the Shopware order",
            "Die Summe von Position 1 ist 1234567890123456 und hat 16 Stellen vor dem Komma, Kontor speichert aber "
            "höchstens 15. Korrigieren Sie den Betrag in der Shopware-Bestellung",
        ),
    ],
    ids=["nan unit price", "infinite quantity", "five decimal places", "negative unit price", "sixteen whole digits"],
)
def test_line_amount_rejected(shop_order, changes, english, german):
    order = with_line(shop_order, 4, **changes)

    assert mapped_problems(order) == (english, german)


def test_tax_rate_beyond_column(shop_order):
    order = malformed(shop_order, 5)
    order["lineItems"][0]["price"]["calculatedTaxes"][0]["taxRate"] = 1000

    english, _german = mapped_problems(order)

    # The tax rate column stores 6 digits, 3 of them after the decimal point.
    assert english == (
        "the tax rate of line 1 is 1000, which has 4 digits before the decimal point, but Kontor stores at most 3. "
        "Correct the amount in the Shopware order"
    )


def test_every_order_amount_named(shop_order):
    order = malformed(shop_order, 6, amountTotal=1e20, amountNet=-1)
    order["shippingCosts"]["totalPrice"] = "NaN"
    order["price"]["calculatedTaxes"][0]["price"] = 0.00001

    english, german = mapped_problems(order)

    assert english.split("; ") == [
        "the total of the shipping costs is NaN, which is not a finite number. Correct the value in the Shopware order",
        "the gross order total is 1E+20, which has 21 digits before the decimal point, but Kontor stores at most 15. "
        "Correct the amount in the Shopware order",
        "the net order total is -1, but it must not be negative. Correct the amount in the Shopware order",
        "an amount in the order's tax breakdown is 0.00001, which has 5 decimal places, but Kontor stores at most 4. "
        "Round the amount in the Shopware order",
    ]
    assert german.split("; ") == [
        "Die Summe der Versandkosten ist NaN und damit keine endliche Zahl. Korrigieren Sie den Wert in der Shopware-Bestellung",
        "Die Bestellsumme (brutto) ist 1E+20 und hat 21 Stellen vor dem Komma, Kontor speichert aber höchstens 15. "
        "Korrigieren Sie den Betrag in der Shopware-Bestellung",
        "Die Bestellsumme (netto) ist -1, darf aber nicht negativ sein. Korrigieren Sie den Betrag in der Shopware-Bestellung",
        "Ein Betrag in der Steueraufstellung der Bestellung ist 0.00001 und hat 5 Nachkommastellen, Kontor speichert "
        "aber höchstens 4. Runden Sie den Betrag in der Shopware-Bestellung",
    ]
    # The Shopware field of each problem stays in the message for the integration engineer.
    assert rejection_of(order).params["fields"] == "shippingCosts.totalPrice, amountTotal, amountNet, price.calculatedTaxes.price"


def test_trailing_zeros_not_counted(shop_order, connection):
    order = with_line(shop_order, 7, unitPrice="11.900000")
    order["shippingCosts"]["totalPrice"] = "0.000000"

    data = order_mapper.order_input(order, channel=channel_for(connection), connection=connection)

    assert data.lines[0].unit_price == Decimal("11.900000")
    assert data.shipping_gross == Decimal(0)
