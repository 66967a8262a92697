"""Support messages name connections, channels and orders as the admin lists them, not by their slugs."""

import pytest
import responses
from django.utils import translation

from catalog.models import Channel
from integrations.errors import AuthError, ServerError
from integrations.models import Connection
from integrations.odoo.client import OdooClient
from integrations.odoo.inbound import apply_sale_order_state
from integrations.odoo.issues import StatusRejected
from integrations.sandbox import faults
from integrations.sandbox.odoo import seed
from integrations.services.clients import http_client_for
from orders.models import Order, OrderStatus
from tests.odoo.conftest import make_odoo_connection
from tests.odoo.helpers import install_recording_shop, line, make_pair, make_product, place_order

pytestmark = pytest.mark.django_db

SHOP_URL = "https://shop.example.com"


def messages_of(error):
    """Return the error's support message in English and German."""
    with translation.override("en"):
        english = error.support_message
    with translation.override("de"):
        german = error.support_message
    return english, german


def test_odoo_server_error_names_connection(sandbox):
    faults.update_faults("odoo", {"fail_next_requests": 1, "fail_next_status": 500})
    client = OdooClient(make_odoo_connection(slug="odoo-sandbox"))

    with pytest.raises(ServerError) as raised:
        client.search_read("res.partner", [], ["name"])

    english, german = messages_of(raised.value)
    assert english.startswith("Odoo sandbox had an internal error (HTTP 500). Kontor retries automatically.")
    assert german.startswith("Odoo sandbox hatte einen internen Fehler (HTTP 500).")
    assert "odoo-sandbox" not in english
    assert "odoo-sandbox" not in german


def test_odoo_jsonrpc_login_error_names_connection(sandbox):
    # Odoo 17 speaks JSON-RPC, whose rejected login is an HTTP 200 that the Odoo client turns
    # into an AuthError itself, not the shared HTTP client.
    seed.configure(version="17.0")
    client = OdooClient(make_odoo_connection(version="17.0", slug="odoo-sandbox", api_key="wrong"))

    with pytest.raises(AuthError) as raised:
        client.search_read("res.partner", [], ["name"])

    english, german = messages_of(raised.value)
    assert english.startswith("Odoo sandbox rejected the credentials")
    assert german.startswith("Odoo sandbox hat die Zugangsdaten abgelehnt")


@responses.activate
def test_shared_client_names_connection_in_errors_only():
    connection = Connection.objects.create(kind="shopware", name="Shopware sandbox", slug="shopware-sandbox", base_url=SHOP_URL)
    responses.get(f"{SHOP_URL}/api/product", status=500)
    http = http_client_for(connection)

    with pytest.raises(ServerError) as raised:
        http.request("GET", "/api/product")

    # Logs keep the slug, which commands and webhook URLs use.
    assert http.name == "shopware-sandbox"
    assert raised.value.connection == "Shopware sandbox"
    english, _german = messages_of(raised.value)
    assert english.startswith("Shopware sandbox had an internal error (HTTP 500).")


def test_rejected_status_names_order_with_channel(sandbox):
    install_recording_shop()
    erp = make_odoo_connection(slug="odoo-sandbox")
    channel, shop = make_pair(erp, channel_code="shopware-sandbox")
    Channel.objects.filter(pk=channel.pk).update(name="Shopware sandbox")
    make_product("CAM-1", on_hand=5)
    order = place_order(Channel.objects.get(pk=channel.pk), shop, "10090", [line("CAM-1")])
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.CANCELLED)
    order.refresh_from_db()

    with pytest.raises(StatusRejected) as raised:
        apply_sale_order_state(erp, order, {"id": 7, "name": "S00007", "state": "sale"})

    english, german = messages_of(raised.value)
    assert english.startswith("Odoo sandbox moved order 10090 (Shopware sandbox) to confirmed by ERP, ")
    assert german.startswith("Odoo sandbox hat Auftrag 10090 (Shopware sandbox) auf vom ERP bestätigt gesetzt, ")
    assert "shopware-sandbox/10090" not in english
