"""The buyer of a simulated shop order reaches Kontor's order and the Odoo partner.

Kontor takes the order customer's email and the order addresses, and links the order to a
customer: a registered one bound to its Shopware customer id, a guest one of its own. The Odoo
push finds or creates the partner by that email and names it after the billing address.
"""

from decimal import Decimal

import pytest
from django.utils import timezone

from customers.models import Customer
from integrations.sandbox import store
from integrations.sandbox.odoo import records
from integrations.sandbox.shopware import stream
from integrations.sandbox.shopware.orders import PlacedLine, place_order
from integrations.services.bindings import find_record
from integrations.shopware.tasks import push_catalog
from orders.models import AddressKind, Order
from tests.e2e.test_shop_to_erp import make_catalog, make_connections, sandbox, settle  # noqa: F401 (sandbox is a fixture)

pytestmark = pytest.mark.django_db


def test_buyer_reaches_order_and_partner(sandbox, django_capture_on_commit_callbacks):  # noqa: F811
    _channel, shop, erp = make_connections()
    make_catalog(quantity=40)
    settle(shop, erp)
    push_catalog(shop.pk)
    settle(shop, erp)

    with django_capture_on_commit_callbacks(execute=True):
        stream.place_orders(3)
    settle(shop, erp)

    shop_orders = [row.data for row in store.rows("shopware", "order")]
    assert len(shop_orders) == 3
    for placed in shop_orders:
        buyer = placed["orderCustomer"]
        billing = placed["billingAddress"]

        order = Order.objects.get(external_number=placed["orderNumber"])
        address = order.addresses.get(kind=AddressKind.BILLING)
        assert order.email == buyer["email"]
        assert (address.first_name, address.last_name) == (buyer["firstName"], buyer["lastName"])
        assert (address.postal_code, address.city, str(address.country)) == (billing["zipcode"], billing["city"], billing["country"]["iso"])

        [sale_order] = records.search("sale.order", [["client_order_ref", "=", placed["orderNumber"]]])
        partner = records.get("res.partner", sale_order["partner_id"])
        country = records.get("res.country", partner["country_id"])
        assert partner["email"] == buyer["email"]
        assert partner["name"] == f"{buyer['firstName']} {buyer['lastName']}"
        assert (partner["zip"], partner["city"], country["code"]) == (billing["zipcode"], billing["city"], billing["country"]["iso"])


def test_guest_and_registered_buyers_become_customers(sandbox, django_capture_on_commit_callbacks):  # noqa: F811
    _channel, shop, erp = make_connections()
    make_catalog(quantity=40)
    settle(shop, erp)
    push_catalog(shop.pk)
    settle(shop, erp)
    product = store.find_by_natural_key("shopware", "product", "E2E-00").data
    line = PlacedLine(product=product, quantity=1, unit_gross=Decimal("11.90"))

    with django_capture_on_commit_callbacks(execute=True):
        registered = place_order([line], customer_number="17850", country_iso="GB", placed_at=timezone.now())
        guest = place_order([line], customer_number="", country_iso="DE", placed_at=timezone.now(), guest_reference="536999")
    settle(shop, erp)

    assert registered["orderCustomer"]["customer"]["guest"] is False
    assert guest["orderCustomer"]["customer"]["guest"] is True
    registered_customer = Order.objects.get(external_number=registered["orderNumber"]).customer
    guest_customer = Order.objects.get(external_number=guest["orderNumber"]).customer
    assert (registered_customer.email, registered_customer.is_guest) == (registered["orderCustomer"]["email"], False)
    assert (guest_customer.email, guest_customer.is_guest) == (guest["orderCustomer"]["email"], True)
    assert find_record(shop, Customer, registered["orderCustomer"]["customerId"]) == registered_customer
    assert find_record(shop, Customer, guest["orderCustomer"]["customerId"]) is None
