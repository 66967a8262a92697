"""The simulated shop's orders carry a Shopware order customer and addresses that fit their country."""

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from integrations.sandbox import orderstream, store
from integrations.sandbox.shopware import customers, state
from integrations.sandbox.shopware import stream as shopware_stream
from integrations.sandbox.shopware.orders import PlacedLine, place_order
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

HEX_ID = re.compile(r"^[0-9a-f]{32}$")
# Postcode formats of the countries most invoices come from.
POSTCODES = {
    "GB": re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}$"),
    "DE": re.compile(r"^\d{5}$"),
    "IE": re.compile(r"^[A-Z]\d{2} [A-Z\d]{4}$"),
    "FR": re.compile(r"^\d{5}$"),
    "NL": re.compile(r"^\d{4} [A-Z]{2}$"),
    "PT": re.compile(r"^\d{4}-\d{3}$"),
}
PLACED_AT = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def shop_product(sku="CAM-1", stock=1000):
    record = {"id": state.seed_id("test", sku), "productNumber": sku, "name": sku, "stock": stock, "sales": 0}
    store.put("shopware", "product", record["id"], record, natural_key=sku)
    return record


def order_for(customer_number, country_iso, **kwargs):
    line = PlacedLine(product=shop_product(), quantity=1, unit_gross=Decimal("9.90"))
    return place_order([line], customer_number=customer_number, country_iso=country_iso, placed_at=PLACED_AT, **kwargs)


def test_order_customer_has_shopware_shape():
    order = order_for("17850", "GB")

    customer = order["orderCustomer"]
    assert customer["apiAlias"] == "order_customer"
    assert customer["orderId"] == order["id"]
    assert customer["customerNumber"] == "17850"
    assert HEX_ID.match(customer["customerId"])
    assert HEX_ID.match(customer["id"])
    assert customer["firstName"] in customers.FIRST_NAMES
    assert customer["lastName"] in customers.LAST_NAMES
    assert re.fullmatch(r"[a-z]+\.[a-z]+\.17850@example\.com", customer["email"])


def test_order_customer_same_for_same_customer():
    first = order_for("17850", "GB")["orderCustomer"]
    second = order_for("17850", "GB")["orderCustomer"]

    fields = ("customerId", "customerNumber", "email", "firstName", "lastName")
    assert {name: first[name] for name in fields} == {name: second[name] for name in fields}
    assert first["id"] != second["id"]


def test_order_customer_differs_between_customers():
    first = order_for("17850", "GB")["orderCustomer"]
    second = order_for("13047", "GB")["orderCustomer"]

    assert first["customerId"] != second["customerId"]
    assert first["email"] != second["email"]


def test_buyer_fixed_across_sandboxes():
    # The values come from the customer id alone, so every sandbox and every run agrees.
    buyer = customers.buyer_for("17850")

    assert buyer.customer_id == state.seed_id("customer", "customer:17850")
    assert (buyer.first_name, buyer.last_name, buyer.email) == ("Zoë", "Brown", "zoe.brown.17850@example.com")
    assert buyer.guest is False


def test_guest_order_gets_own_customer():
    first = order_for("", "DE", guest_reference="536999")["orderCustomer"]
    again = order_for("", "DE", guest_reference="536999")["orderCustomer"]
    other = order_for("", "DE", guest_reference="537000")["orderCustomer"]

    assert first["customerNumber"] == "guest-536999"
    assert first["email"].endswith(".guest-536999@example.com")
    assert first["customerId"] == again["customerId"]
    assert first["customerId"] != other["customerId"]
    assert first["email"] != other["email"]


def test_guest_without_reference_keyed_by_order_number():
    order = order_for("", "DE", order_number="10042")

    assert order["orderCustomer"]["customerNumber"] == "guest-10042"


def test_address_fits_country():
    for country_iso, pattern in POSTCODES.items():
        order = order_for("17850", country_iso)
        address = order["billingAddress"]

        cities = {place.city for place in customers.PLACES[country_iso]}
        assert address["country"]["iso"] == country_iso
        assert address["city"] in cities, country_iso
        assert pattern.match(address["zipcode"]), (country_iso, address["zipcode"])


def test_address_names_buyer_and_matches_shipping():
    order = order_for("17850", "DE")
    billing = order["billingAddress"]
    shipping = order["deliveries"][0]["shippingOrderAddress"]

    assert (billing["firstName"], billing["lastName"]) == (order["orderCustomer"]["firstName"], order["orderCustomer"]["lastName"])
    assert re.fullmatch(r"\D+ \d{1,3}", billing["street"])
    assert billing["id"] != shipping["id"]
    same_fields = ("firstName", "lastName", "street", "zipcode", "city", "countryId")
    assert {name: billing[name] for name in same_fields} == {name: shipping[name] for name in same_fields}


def test_address_same_for_same_customer():
    first = order_for("17850", "GB")["billingAddress"]
    second = order_for("17850", "GB")["billingAddress"]

    assert (first["street"], first["zipcode"], first["city"]) == (second["street"], second["zipcode"], second["city"])


def test_unknown_country_gets_neutral_address():
    address = order_for("17850", "ZZ")["billingAddress"]

    assert address["city"] == "Sandbox"
    assert address["zipcode"] is None
    assert address["country"]["iso"] == "ZZ"


def test_every_data_set_country_has_places():
    countries_in_data = {invoice.country for invoice in orderstream.read_invoices()}

    assert countries_in_data - set(customers.PLACES) == set()


def test_stream_order_customer_from_invoice(django_capture_on_commit_callbacks):
    ProductFactory(sku="DEMO-1")
    record = shop_product("DEMO-1", stock=100000)
    record["price"] = [{"currencyId": state.currency_id("EUR"), "gross": 5.0, "net": 4.2, "linked": True}]
    store.put("shopware", "product", record["id"], record, natural_key="DEMO-1")

    with django_capture_on_commit_callbacks(execute=True):
        shopware_stream.place_orders(1)

    invoice = orderstream.read_invoices()[0]
    buyer = customers.buyer_for(invoice.customer_id)
    order = store.rows("shopware", "order").get().data
    assert order["orderCustomer"]["customerNumber"] == invoice.customer_id == "17850"
    assert order["orderCustomer"]["email"] == buyer.email
    assert order["billingAddress"]["country"]["iso"] == "GB"
    assert order["billingAddress"]["city"] == customers.place_for(buyer, "GB").city


def test_guest_cancellation_matches_no_order():
    order_for("", "GB", guest_reference="536999")
    cancellation = orderstream.Invoice(number="C536999", placed_at=PLACED_AT, customer_id="", country="GB")

    assert shopware_stream.cancel(cancellation, {}) is False
    assert store.rows("shopware", "order").get().data["stateMachineState"]["technicalName"] == "open"
