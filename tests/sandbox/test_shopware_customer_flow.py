"""The buyer of a simulated shop order reaches Kontor's order and the Odoo partner.

Kontor takes the order customer's email and the order addresses; the Odoo push finds or creates
the partner by that email and names it after the billing address.
"""

import pytest

from integrations.sandbox import store
from integrations.sandbox.odoo import records
from integrations.sandbox.shopware import stream
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
