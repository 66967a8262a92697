"""Support messages of failed calls name the connection as the admin lists it, not by its slug."""

import pytest
import responses
from django.utils import translation

from integrations.errors import AuthError, ServerError
from integrations.models import Connection
from integrations.odoo.client import OdooClient
from integrations.sandbox import faults
from integrations.sandbox.odoo import seed
from integrations.services.clients import http_client_for
from tests.odoo.conftest import make_odoo_connection

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
