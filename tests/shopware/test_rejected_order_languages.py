"""A rejected Shopware order's sync error reads fully in German and fully in English, with one period per sentence.

The order arrives through the signed webhook and the inbox, as in production, and the worker
stores the message of every language without a request language of its own.
"""

import json

import pytest
from django.utils import translation

from integrations.models import InboundEvent, InboundState, SyncError
from integrations.sandbox.shopware.state import DEFAULT_SHOP_SECRET
from integrations.services.inbox import process_inbound_event
from integrations.shopware import webhooks
from orders.models import Order
from tests.shopware.test_webhooks import fixture_bytes, post_hook

pytestmark = pytest.mark.django_db

ENGLISH_PREFIX = "Shopware order 10042 was not imported: "
ENGLISH_SUFFIX = " Nothing of it was saved. Fix the cause (catalog, channel currencies or the order in Shopware), then retry."
GERMAN_PREFIX = "Die Shopware-Bestellung 10042 wurde nicht übernommen: "
GERMAN_SUFFIX = (
    " Nichts davon wurde gespeichert. Beheben Sie die Ursache (Katalog, Währungen des Kanals oder die Bestellung "
    "in Shopware) und versuchen Sie es erneut."
)

# Each case changes the fixture order 10042 (2 x SW-TEST-1 at 11.90 EUR, shipping 4.90 EUR,
# amountTotal 28.70, amountNet 24.12, tax 4.58) and lists the problems in English and German.
# The cases in FIELDS name the Shopware fields concerned as well, after the advice.
CASES = {
    "unknown sku": (
        {},
        {"payload": {"productNumber": "NO-SUCH-SKU-42"}},
        "lines[0].sku: SKU NO-SUCH-SKU-42 is not in the catalog. Import the product or correct the SKU.",
        "lines[0].sku: SKU NO-SUCH-SKU-42 ist nicht im Katalog. Importieren Sie den Artikel oder korrigieren Sie die SKU.",
    ),
    "derived tax": (
        {"amountNet": 1.0},
        {},
        "total_net: Order total net is 1.00 EUR but the lines and shipping add up to 24.12 EUR. "
        "Check the order in the source system; "
        "total_tax: Order total gross 28.70 EUR minus total net 1.00 EUR gives tax 27.70 EUR, but the lines and "
        "shipping add up to tax 4.58 EUR. Check the order in the source system; "
        "tax_lines: Order total gross 28.70 EUR minus total net 1.00 EUR gives tax 27.70 EUR, but the tax lines "
        "add up to 4.58 EUR.",
        "total_net: Bestellsumme (netto) ist 1,00 EUR, Positionen und Versand ergeben aber 24,12 EUR. "
        "Prüfen Sie die Bestellung im Quellsystem; "
        "total_tax: Bestellsumme (brutto) 28,70 EUR minus Bestellsumme (netto) 1,00 EUR ergibt Steuer 27,70 EUR, "
        "Positionen und Versand ergeben aber Steuer 4,58 EUR. Prüfen Sie die Bestellung im Quellsystem; "
        "tax_lines: Bestellsumme (brutto) 28,70 EUR minus Bestellsumme (netto) 1,00 EUR ergibt Steuer 27,70 EUR, "
        "die Steuerzeilen ergeben aber 4,58 EUR.",
    ),
    "quantity zero": (
        {},
        {"quantity": 0},
        "lines[0].quantity: Quantity 0 of SKU SW-TEST-1 must be greater than zero.",
        "lines[0].quantity: Menge 0 von SKU SW-TEST-1 muss größer als null sein.",
    ),
    "unknown currency": (
        {"currency": {"isoCode": "EUX"}},
        {},
        "currency: Unknown currency code EUX. Use an ISO 4217 code such as EUR or USD.",
        "currency: Unbekannter Währungscode EUX. Verwenden Sie einen ISO-4217-Code wie EUR oder USD.",
    ),
    "missing currency": (
        {"currency": None},
        {},
        "Shopware sent the order without its currency, so Kontor cannot check its prices. Ask the person who set up "
        "the Kontor app in Shopware to send orders with their currency.",
        "Shopware hat die Bestellung ohne ihre Währung gesendet, daher kann Kontor ihre Preise nicht prüfen. Bitten "
        "Sie die Person, die die Kontor-App in Shopware eingerichtet hat, Bestellungen mit ihrer Währung zu senden.",
    ),
    "line arithmetic": (
        {},
        {"unitPrice": 12.9},
        "lines[0].total_gross: Line SW-TEST-1: total_gross is 23.80, but quantity 2 times unit price 12.90 minus "
        "discount 0.00 is 25.80. Correct the line total, quantity, unit price or discount.",
        "lines[0].total_gross: Position SW-TEST-1: total_gross ist 23,80, aber Menge 2 mal Stückpreis 12,90 minus "
        "Rabatt 0,00 ergibt 25,80. Korrigieren Sie Positionssumme, Menge, Stückpreis oder Rabatt.",
    ),
    "no lines": (
        {"lineItems": []},
        None,
        "lines: Order 10042 has no lines.",
        "lines: Bestellung 10042 hat keine Positionen.",
    ),
    "null line price": (
        {},
        {"unitPrice": None},
        "the unit price of line 1 is missing or not a number. Correct the value in the Shopware order.",
        "Der Stückpreis von Position 1 fehlt oder ist keine Zahl. Korrigieren Sie den Wert in der Shopware-Bestellung.",
    ),
    "bad order time": (
        {"orderDateTime": "yesterday"},
        {},
        "the order date 'yesterday' is not a date and time. Check the order date in the Shopware order.",
        "Das Bestelldatum 'yesterday' ist kein Datum mit Uhrzeit. Prüfen Sie das Bestelldatum in der Shopware-Bestellung.",
    ),
}
FIELDS = {
    "missing currency": "currency.isoCode",
    "null line price": "lineItems[0].unitPrice",
    "bad order time": "orderDateTime",
}


def rejected_event(client, order_changes, line_changes):
    """Post the fixture order, changed at the top and in its first line item, through the signed webhook.

    Returns the stored inbound event. `line_changes` None leaves the line items as `order_changes` set them.
    """
    document = json.loads(fixture_bytes("checkout.order.placed"))
    order = document["data"]["payload"]["order"]
    order.update(order_changes)
    if line_changes is not None:
        order["lineItems"][0].update(line_changes)
    body = json.dumps(document).encode()
    post_hook(client, body, webhooks.signature(body, DEFAULT_SHOP_SECRET))
    return InboundEvent.objects.get()


@pytest.mark.parametrize(
    ("order_changes", "line_changes", "english", "german", "fields"),
    [(*case, FIELDS.get(name, "")) for name, case in CASES.items()],
    ids=CASES.keys(),
)
def test_rejected_order_message_languages(client, sandbox, connection, make_product, order_changes, line_changes, english, german, fields):
    make_product("SW-TEST-1", on_hand=5)
    event = rejected_event(client, order_changes, line_changes)

    process_inbound_event(event.pk)

    event.refresh_from_db()
    assert event.state == InboundState.FAILED
    assert not Order.objects.exists()
    error = SyncError.objects.get(inbound_event=event)
    assert error.code == "order_invalid"
    english_fields = f" Shopware fields concerned: {fields}." if fields else ""
    german_fields = f" Betroffene Shopware-Felder: {fields}." if fields else ""
    assert error.message_translations["en"] == ENGLISH_PREFIX + english + ENGLISH_SUFFIX + english_fields
    assert error.message_translations["de"] == GERMAN_PREFIX + german + GERMAN_SUFFIX + german_fields
    assert error.message == error.message_translations["en"]


def test_rejected_order_shown_in_reader_language(client, connection, make_product):
    make_product("SW-TEST-1", on_hand=5)
    event = rejected_event(client, {}, {"quantity": 0})

    process_inbound_event(event.pk)

    error = SyncError.objects.get(inbound_event=event)
    with translation.override("de"):
        german = error.localized_message()
    with translation.override("en"):
        english = error.localized_message()
    assert german.startswith(GERMAN_PREFIX + "lines[0].quantity: Menge 0 ")
    assert english.startswith(ENGLISH_PREFIX + "lines[0].quantity: Quantity 0 ")
    assert ".." not in german
    assert ".." not in english


def test_rejected_yen_order_decimals_languages(client, connection, channel, make_product):
    # Yen has no minor unit, so an amountNet with a fraction is rejected. The other amounts are
    # whole, and the tax derived from amountTotal minus amountNet gets no message of its own.
    channel.currencies = ["EUR", "JPY"]
    channel.save()
    make_product("SW-TEST-1", on_hand=5)
    taxes = [{"tax": 380, "taxRate": 19.0, "price": 2380}]
    event = rejected_event(
        client,
        {
            "currency": {"isoCode": "JPY"},
            "amountTotal": 2870,
            "amountNet": 2411.5,
            "price": {"calculatedTaxes": [{"tax": 458, "taxRate": 19.0, "price": 2870}], "taxStatus": "gross"},
            "shippingCosts": {"totalPrice": 490, "calculatedTaxes": [{"tax": 78, "taxRate": 19.0, "price": 490}]},
        },
        {"unitPrice": 1190, "totalPrice": 2380, "price": {"calculatedTaxes": taxes}},
    )

    process_inbound_event(event.pk)

    error = SyncError.objects.get(inbound_event=event)
    assert error.message_translations["en"] == (
        ENGLISH_PREFIX + "total_net: Amount 2,411.5 has more decimal places than JPY allows (0). "
        "Round it to the currency's minor unit." + ENGLISH_SUFFIX
    )
    assert error.message_translations["de"] == (
        GERMAN_PREFIX + "total_net: Betrag 2.411,5 hat mehr Nachkommastellen, als JPY erlaubt (0). "
        "Runden Sie ihn auf die kleinste Einheit der Währung." + GERMAN_SUFFIX
    )
