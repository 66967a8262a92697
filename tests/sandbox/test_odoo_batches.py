"""The simulated Odoo creates and confirms many sale orders per call as Odoo does."""

import pytest

from integrations.sandbox import store
from integrations.sandbox.odoo import records, seed
from integrations.sandbox.odoo.api import OdooFault, execute

pytestmark = pytest.mark.django_db


def order_values(reference, lines, partner_id):
    return {
        "partner_id": partner_id,
        "client_order_ref": reference,
        "order_line": [[0, 0, {"product_id": product_id, "product_uom_qty": quantity, "price_unit": 10.0, "tax_id": [[6, 0, []]]}] for product_id, quantity in lines],
    }


@pytest.fixture
def catalog():
    seed.ensure_seeded()
    camera = seed.add_product("CAM-1", "Camera", quantity=5)
    lens = seed.add_product("LENS-1", "Lens", quantity=10)
    partner = records.create("res.partner", {"name": "Ada", "email": "ada@example.com"})
    return camera, lens, partner


def quant_of(product):
    return store.find_by_natural_key("odoo", "stock.quant", f"{product['id']}@{records.search('stock.location', [])[0]['id']}").data


def test_batch_create_stores_every_order(catalog):
    camera, lens, partner = catalog

    ids = execute("sale.order", "create", None, {"vals_list": [
        order_values("1001", [(camera["id"], 2), (lens["id"], 1)], partner["id"]),
        order_values("1002", [(lens["id"], 3)], partner["id"]),
    ]})

    orders = [records.get("sale.order", sale_id) for sale_id in ids]
    assert [order["client_order_ref"] for order in orders] == ["1001", "1002"]
    assert [order["state"] for order in orders] == ["draft", "draft"]
    assert orders[0]["name"] != orders[1]["name"]
    assert [order["amount_total"] for order in orders] == [30.0, 30.0]
    assert len(set(orders[0]["order_line"]) | set(orders[1]["order_line"])) == 3


def test_batch_with_unknown_product_creates_nothing(catalog):
    camera, _lens, partner = catalog

    with pytest.raises(OdooFault) as raised:
        execute("sale.order", "create", None, {"vals_list": [
            order_values("1001", [(camera["id"], 1)], partner["id"]),
            order_values("1002", [(999999, 1)], partner["id"]),
        ]})

    assert raised.value.status == 422
    assert "999999" in raised.value.message
    assert records.search("sale.order", []) == []


def test_batch_confirm_reserves_in_order(catalog):
    camera, lens, partner = catalog
    first, second = execute("sale.order", "create", None, {"vals_list": [
        order_values("1001", [(camera["id"], 4), (lens["id"], 2)], partner["id"]),
        order_values("1002", [(camera["id"], 3)], partner["id"]),
    ]})

    execute("sale.order", "action_confirm", [first, second], {})

    orders = [records.get("sale.order", sale_id) for sale_id in (first, second)]
    pickings = [records.get("stock.picking", order["picking_ids"][0]) for order in orders]
    assert [order["state"] for order in orders] == ["sale", "sale"]
    assert [picking["state"] for picking in pickings] == ["assigned", "confirmed"]
    assert [move["reserved"] for move in pickings[1]["_moves"]] == [1.0]
    assert quant_of(camera)["reserved_quantity"] == 5.0
    assert quant_of(lens)["reserved_quantity"] == 2.0


def test_confirm_of_confirmed_order_changes_nothing(catalog):
    camera, _lens, partner = catalog
    sale_id = execute("sale.order", "create", None, {"vals_list": [order_values("1001", [(camera["id"], 1)], partner["id"])]})[0]
    execute("sale.order", "action_confirm", [sale_id], {})

    with pytest.raises(OdooFault) as raised:
        execute("sale.order", "action_confirm", [sale_id], {})

    assert raised.value.status == 422
    assert quant_of(camera)["reserved_quantity"] == 1.0
    assert len(records.search("stock.picking", [])) == 1


def test_batch_create_of_partners(catalog):
    _camera, _lens, known = catalog

    ids = execute("res.partner", "create", None, {"vals_list": [{"name": "Bo", "email": "Bo@Example.com"}, {"name": "Cy", "email": "cy@example.com"}]})

    assert ids == [known["id"] + 1, known["id"] + 2]
    found = execute("res.partner", "search_read", None, {"domain": [["email", "=ilike", "bo@example.com"]], "fields": ["name", "create_date", "write_date"]})
    assert [(row["id"], row["name"]) for row in found] == [(ids[0], "Bo")]
    assert found[0]["create_date"] == found[0]["write_date"]
