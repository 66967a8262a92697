from decimal import Decimal

import pytest

from integrations.errors import AuthError, NotFound, ServerError, ValidationFailed
from integrations.odoo.client import JSON2, JSONRPC, OdooClient, protocol_for
from integrations.sandbox import faults
from integrations.sandbox.odoo import seed
from tests.odoo.conftest import make_odoo_connection

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("version", "protocol"), [("19.0", JSON2), ("saas~19.1", JSON2), ("18.0", JSONRPC), ("16.0", JSONRPC)])
def test_protocol_follows_version(version, protocol):
    assert protocol_for(version) == protocol


def test_protocol_rejects_version_without_number():
    with pytest.raises(ValueError, match="no major version"):
        protocol_for("latest")


@pytest.mark.parametrize("version", ["19.0", "17.0"])
def test_create_and_search_read_same_results(sandbox, version):
    seed.configure(version=version)
    client = OdooClient(make_odoo_connection(version=version))

    partner_id = client.create("res.partner", {"name": "Ada Lovelace", "email": "ada@example.com"})
    found = client.search_read("res.partner", [["email", "=ilike", "ADA@example.com"]], ["name", "email"])

    assert found == [{"id": partner_id, "name": "Ada Lovelace", "email": "ada@example.com"}]


@pytest.mark.parametrize("version", ["19.0", "17.0"])
def test_wrong_api_key_is_auth_error(sandbox, version):
    seed.configure(version=version)
    client = OdooClient(make_odoo_connection(version=version, api_key="wrong"))

    with pytest.raises(AuthError):
        client.search_read("res.partner", [], ["name"])


@pytest.mark.parametrize("version", ["19.0", "17.0"])
def test_user_error_is_validation_failed(sandbox, version):
    seed.configure(version=version)
    client = OdooClient(make_odoo_connection(version=version))

    with pytest.raises(ValidationFailed) as raised:
        client.create("sale.order", {"order_line": []})

    assert list(raised.value.field_errors) == ["odoo.exceptions.UserError"]


@pytest.mark.parametrize("version", ["19.0", "17.0"])
def test_missing_record_is_not_found(sandbox, version):
    seed.configure(version=version)
    client = OdooClient(make_odoo_connection(version=version))

    with pytest.raises(NotFound):
        client.read("res.partner", [999999], ["name"])


def test_json2_needs_odoo_19(sandbox):
    seed.configure(version="17.0")
    client = OdooClient(make_odoo_connection(version="19.0"))

    with pytest.raises(NotFound):
        client.search_read("res.partner", [], ["name"])


def test_server_fault_is_server_error(sandbox):
    faults.update_faults("odoo", {"fail_next_requests": 1, "fail_next_status": 503})
    client = OdooClient(make_odoo_connection())

    with pytest.raises(ServerError):
        client.search_read("res.partner", [], ["name"])


def test_sale_order_amounts_per_line_rounding(sandbox):
    client = OdooClient(make_odoo_connection())
    seed.add_product("CAM-1", "Camera")
    product_id = seed.product_by_sku("CAM-1")["id"]
    partner_id = client.create("res.partner", {"name": "Buyer", "email": "b@example.com"})
    tax_id = client.search_read("account.tax", [["amount", "=", 19.0], ["price_include", "=", True]], ["id"])[0]["id"]

    order_id = client.create("sale.order", {
        "partner_id": partner_id,
        "order_line": [[0, 0, {"product_id": product_id, "product_uom_qty": 3, "price_unit": 3.33, "tax_id": [[6, 0, [tax_id]]]}]],
    })
    order = client.read("sale.order", [order_id], ["amount_total", "amount_untaxed", "amount_tax", "state"])[0]

    assert Decimal(str(order["amount_total"])) == Decimal("9.99")
    assert Decimal(str(order["amount_untaxed"])) == Decimal("8.39")
    assert order["state"] == "draft"
