"""Messages of the admin action "Test connection" and checks of typed connection settings.

Remote systems are faked with the responses library at loopback addresses. A request to an
address without a registered response fails like an unreachable host.
"""

import json
import logging

import pytest
import requests
import responses
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from integrations.errors import AuthError, CircuitOpen, InvalidSetting
from integrations.models import Connection
from integrations.registry import CredentialField, ValueKind
from integrations.services.connections import check_connection

pytestmark = pytest.mark.django_db

ODOO_URL = "http://127.0.0.1:8069"
SHOP_URL = "http://127.0.0.1:8000/shop"
STRIPE_URL = "http://127.0.0.1:12111"
SENDCLOUD_URL = "http://127.0.0.1:8011"
# Port 9 (discard) at loopback: nothing is registered for it, so responses raises a connection error.
UNREACHABLE_URL = "http://127.0.0.1:9/api"

ODOO_CREDENTIALS = {"database": "kontor", "login": "kontor", "api_key": "odoo-key-0123456789", "version": "19.0"}
SHOPWARE_CREDENTIALS = {"access_key_id": "SWIA-KEY-1", "secret_access_key": "sw-secret-0123456789", "shop_secret": "sw-shop-9876"}


@pytest.fixture(autouse=True)
def fresh_cache():
    # Circuit breaker states and tokens are keyed by connection id, which repeats across runs.
    cache.clear()


def make_connection(kind, base_url, credentials, *, name="Test DE", slug="test-de"):
    connection = Connection(kind=kind, name=name, slug=slug, base_url=base_url)
    connection.set_credentials(credentials)
    connection.save()
    return connection


def check_in(language, connection):
    with translation.override(language):
        return check_connection(connection)


# Configuration errors


def test_odoo_invalid_version_english():
    connection = make_connection("odoo", ODOO_URL, {**ODOO_CREDENTIALS, "version": "abc"})

    assert check_in("en", connection) == (
        False,
        '"abc" is not a valid value for "Odoo version, such as 17.0 or 19.0". '
        "Enter the version as shown under Settings > About in Odoo, such as 17.0 or 19.0.",
    )


def test_odoo_invalid_version_german():
    connection = make_connection("odoo", ODOO_URL, {**ODOO_CREDENTIALS, "version": "abc"})

    assert check_in("de", connection) == (
        False,
        '"abc" ist kein gültiger Wert für "Odoo-Version, z. B. 17.0 oder 19.0". '
        "Geben Sie die Version so ein, wie Odoo sie unter Einstellungen > Über anzeigt, z. B. 17.0 oder 19.0.",
    )


@pytest.mark.parametrize("kind, credentials", [("shopware", SHOPWARE_CREDENTIALS), ("odoo", ODOO_CREDENTIALS)])
def test_empty_base_url_english(kind, credentials):
    connection = make_connection(kind, "", credentials)

    assert check_in("en", connection) == (
        False,
        "The base URL in the connection settings is empty. Enter the address of the API, starting "
        "with https://, such as https://shop.example.com.",
    )


@pytest.mark.parametrize("kind, credentials", [("shopware", SHOPWARE_CREDENTIALS), ("odoo", ODOO_CREDENTIALS)])
def test_empty_base_url_german(kind, credentials):
    connection = make_connection(kind, "", credentials)

    assert check_in("de", connection) == (
        False,
        "Die Basis-URL in den Verbindungseinstellungen ist leer. Geben Sie die Adresse der API ein, "
        "beginnend mit https://, z. B. https://shop.example.com.",
    )


def test_base_url_without_scheme_named():
    # The admin form adds https:// itself, so only a connection created in code or the shell has this.
    connection = make_connection("shopware", "shop.example.com", SHOPWARE_CREDENTIALS)

    assert check_in("en", connection) == (
        False,
        "The base URL shop.example.com in the connection settings is invalid. Enter the address of "
        "the API, starting with https://, such as https://shop.example.com.",
    )


def test_unexpected_error_logged_with_connection(monkeypatch, caplog):
    connection = make_connection("stripe", STRIPE_URL, {"api_key": "sk_test_1"})

    def broken_health_check(self, connection):
        raise RuntimeError("bug in the connector")

    monkeypatch.setattr(type(connection.connector), "health_check", broken_health_check)

    with caplog.at_level(logging.ERROR, logger="integrations.services.connections"):
        result = check_in("en", connection)

    assert result == (False, "The test failed with an unexpected error. The technical details are in the log.")
    records = [record for record in caplog.records if record.message == "connection test failed unexpectedly"]
    assert len(records) == 1
    assert records[0].connection_id == connection.pk
    assert records[0].exc_info[0] is RuntimeError


# Successful tests


@responses.activate
def test_odoo_success_json2_english():
    responses.post(f"{ODOO_URL}/json/2/res.users/context_get", json={"lang": "de_DE", "tz": "Europe/Berlin", "uid": 2})
    connection = make_connection("odoo", ODOO_URL, ODOO_CREDENTIALS)

    assert check_in("en", connection) == (True, "Odoo 19.0, database kontor, protocol JSON-2")


@responses.activate
def test_odoo_success_json2_german():
    responses.post(f"{ODOO_URL}/json/2/res.users/context_get", json={"lang": "de_DE", "tz": "Europe/Berlin", "uid": 2})
    connection = make_connection("odoo", ODOO_URL, ODOO_CREDENTIALS)

    assert check_in("de", connection) == (True, "Odoo 19.0, Datenbank kontor, Protokoll JSON-2")


@responses.activate
def test_odoo_success_jsonrpc_german():
    results = {
        "version": {"server_version": "17.0+e", "server_serie": "17.0", "protocol_version": 1},
        "authenticate": 2,
        "execute_kw": {"lang": "de_DE", "tz": "Europe/Berlin", "uid": 2},
    }

    def odoo_rpc(request):
        body = json.loads(request.body)
        result = results[body["params"]["method"]]
        return 200, {"Content-Type": "application/json"}, json.dumps({"jsonrpc": "2.0", "id": body["id"], "result": result})

    responses.add_callback(responses.POST, f"{ODOO_URL}/jsonrpc", callback=odoo_rpc)
    connection = make_connection("odoo", ODOO_URL, {**ODOO_CREDENTIALS, "version": "17.0"})

    assert check_in("de", connection) == (True, "Odoo 17.0+e, Datenbank kontor, Protokoll JSON-RPC")


# Unreachable hosts


@responses.activate
def test_unreachable_odoo_names_url_english():
    connection = make_connection("odoo", UNREACHABLE_URL, ODOO_CREDENTIALS, slug="odoo-live")

    ok, text = check_in("en", connection)

    assert ok is False
    assert text == (
        "Kontor could not connect to http://127.0.0.1:9/api. Check that the base URL in the connection "
        "settings is correct and that the system is online and reachable from the Kontor server, then test again."
    )
    assert "odoo-live" not in text


@responses.activate
def test_unreachable_odoo_names_url_german():
    connection = make_connection("odoo", UNREACHABLE_URL, ODOO_CREDENTIALS)

    assert check_in("de", connection) == (
        False,
        "Kontor konnte keine Verbindung zu http://127.0.0.1:9/api herstellen. Prüfen Sie, ob die Basis-URL "
        "in den Verbindungseinstellungen stimmt und ob das System online und vom Kontor-Server aus "
        "erreichbar ist, und testen Sie dann erneut.",
    )


@responses.activate
def test_unreachable_stripe_names_url():
    connection = make_connection("stripe", UNREACHABLE_URL, {"api_key": "sk_test_1"})

    ok, text = check_in("en", connection)

    assert ok is False
    assert text.startswith("Kontor could not connect to http://127.0.0.1:9/api. ")
    assert "retries automatically" not in text


@responses.activate
def test_timeout_names_url_german():
    responses.get(f"{STRIPE_URL}/v1/balance", body=requests.exceptions.ReadTimeout("read timed out"))
    connection = make_connection("stripe", STRIPE_URL, {"api_key": "sk_test_1"})

    assert check_in("de", connection) == (
        False,
        "http://127.0.0.1:12111 hat nicht rechtzeitig geantwortet. Prüfen Sie, ob die Basis-URL in den "
        "Verbindungseinstellungen stimmt und ob das System online und nicht überlastet ist, und testen Sie dann erneut.",
    )


# Rejected credentials


@responses.activate
def test_odoo_401_names_credential_labels_english():
    responses.post(
        f"{ODOO_URL}/json/2/res.users/context_get",
        status=401,
        json={"name": "werkzeug.exceptions.Unauthorized", "message": "Invalid apikey", "arguments": [], "context": {}, "debug": ""},
    )
    connection = make_connection("odoo", ODOO_URL, ODOO_CREDENTIALS)

    ok, text = check_in("en", connection)

    assert ok is False
    assert text == (
        "http://127.0.0.1:8069 rejected the credentials. Check these connection settings, then "
        "test again: database name, login of the integration user, API key."
    )
    assert "Test connection" not in text


@responses.activate
def test_odoo_401_names_credential_labels_german():
    responses.post(f"{ODOO_URL}/json/2/res.users/context_get", status=401, json={"name": "werkzeug.exceptions.Unauthorized"})
    connection = make_connection("odoo", ODOO_URL, ODOO_CREDENTIALS)

    ok, text = check_in("de", connection)

    assert ok is False
    assert text == (
        "http://127.0.0.1:8069 hat die Zugangsdaten abgelehnt. Prüfen Sie diese "
        "Verbindungseinstellungen und testen Sie dann erneut: Datenbankname, Login des Integrationsbenutzers, API-Schlüssel."
    )
    assert "Verbindung testen" not in text


@responses.activate
def test_shopware_401_names_access_keys():
    responses.post(f"{SHOP_URL}/api/oauth/token", status=401, json={"errors": [{"code": "9", "title": "Unauthorized"}]})
    connection = make_connection("shopware", SHOP_URL, SHOPWARE_CREDENTIALS)

    assert check_in("de", connection) == (
        False,
        "http://127.0.0.1:8000/shop hat die Zugangsdaten abgelehnt. Prüfen Sie diese "
        "Verbindungseinstellungen und testen Sie dann erneut: Zugriffsschlüssel-ID, geheimer Zugriffsschlüssel.",
    )


@responses.activate
def test_stripe_401_names_api_key():
    responses.get(f"{STRIPE_URL}/v1/balance", status=401, json={"error": {"type": "invalid_request_error", "message": "Invalid API Key"}})
    connection = make_connection("stripe", STRIPE_URL, {"api_key": "sk_test_1"})

    assert check_in("en", connection) == (
        False,
        "http://127.0.0.1:12111 rejected the credentials. Check these connection settings, then "
        "test again: Secret API key (sk_… or rk_…).",
    )


@responses.activate
def test_base_url_credentials_not_shown():
    # The admin rejects a user name in the base URL, but one stored before that check may remain.
    connection = make_connection("stripe", "http://user:pw-secret@127.0.0.1:9", {"api_key": "sk_test_1"})

    ok, text = check_in("en", connection)

    assert ok is False
    assert text.startswith("Kontor could not connect to http://127.0.0.1:9. ")
    assert "pw-secret" not in text


def odoo_rpc_login_rejected(request):
    # Odoo's common.authenticate returns false with HTTP 200 for a wrong login or API key.
    body = json.loads(request.body)
    if body["params"]["method"] == "version":
        result = {"server_version": "16.0", "server_serie": "16.0", "protocol_version": 1}
    else:
        result = False
    return 200, {"Content-Type": "application/json"}, json.dumps({"jsonrpc": "2.0", "id": body["id"], "result": result})


@responses.activate
def test_odoo_jsonrpc_login_rejected_german():
    responses.add_callback(responses.POST, f"{ODOO_URL}/jsonrpc", callback=odoo_rpc_login_rejected)
    connection = make_connection("odoo", ODOO_URL, {**ODOO_CREDENTIALS, "version": "16.0"})

    assert check_in("de", connection) == (
        False,
        "http://127.0.0.1:8069 hat die Zugangsdaten abgelehnt. Prüfen Sie diese Verbindungseinstellungen "
        "und testen Sie dann erneut: Datenbankname, Login des Integrationsbenutzers, API-Schlüssel.",
    )
    assert [json.loads(call.request.body)["params"]["method"] for call in responses.calls] == ["version", "authenticate"]


def test_auth_message_without_labels_german():
    error = AuthError("GET /ping returned HTTP 401", connection="shop", status=401)

    with translation.override("de"):
        text = error.test_message(url="http://127.0.0.1:8000")

    assert text == (
        "http://127.0.0.1:8000 hat die Zugangsdaten abgelehnt. Prüfen Sie die Zugangsdaten in den "
        "Verbindungseinstellungen und testen Sie dann erneut."
    )


def test_circuit_open_message_english():
    error = CircuitOpen("GET /ping not sent: circuit open", connection="shop", url="http://127.0.0.1:8000")

    with translation.override("en"):
        text = error.test_message(url="http://127.0.0.1:8000")

    assert text == (
        "Kontor sent no test request to http://127.0.0.1:8000, because requests to it are paused for 60 "
        "seconds after repeated failures. Check that http://127.0.0.1:8000 is online, then test again later."
    )


def test_circuit_open_message_german():
    error = CircuitOpen("GET /ping not sent: circuit open", connection="shop", url="http://127.0.0.1:8000")

    with translation.override("de"):
        text = error.test_message(url="http://127.0.0.1:8000")

    assert text == (
        "Kontor hat keine Testanfrage an http://127.0.0.1:8000 gesendet, weil Anfragen dorthin nach "
        "wiederholten Fehlern für 60 Sekunden pausiert sind. Prüfen Sie, ob http://127.0.0.1:8000 online "
        "ist, und testen Sie später erneut."
    )


# Other failures of a manual test


@responses.activate
def test_server_error_german():
    responses.get(f"{STRIPE_URL}/v1/balance", status=503)
    connection = make_connection("stripe", STRIPE_URL, {"api_key": "sk_test_1"})

    assert check_in("de", connection) == (
        False,
        "http://127.0.0.1:12111 hatte einen internen Fehler (HTTP 503). Prüfen Sie die Statusseite des "
        "Systems oder fragen Sie seinen Betreiber und testen Sie dann erneut.",
    )


@responses.activate
def test_not_found_points_at_base_url():
    responses.get(f"{SENDCLOUD_URL}/api/v2/user", status=404)
    connection = make_connection("sendcloud", SENDCLOUD_URL, {"public_key": "pub", "secret_key": "sec", "shipping_method_id": "8"})

    assert check_in("en", connection) == (
        False,
        "http://127.0.0.1:8011 has no API at the address that the test called (HTTP 404). Check that the "
        "base URL in the connection settings is the address of the API, then test again.",
    )


@responses.activate
def test_rate_limited_german():
    responses.get(f"{STRIPE_URL}/v1/balance", status=429)
    connection = make_connection("stripe", STRIPE_URL, {"api_key": "sk_test_1"})

    assert check_in("de", connection) == (
        False,
        "http://127.0.0.1:12111 hat die Testanfrage wegen eines Ratenlimits abgelehnt. Warten Sie eine Minute "
        "und testen Sie dann erneut. Wenn das immer wieder passiert, senken Sie das Ratenlimit in den "
        "Verbindungseinstellungen.",
    )


# Typed settings


@pytest.mark.parametrize(
    "kind, value, stored",
    [
        (ValueKind.BOOLEAN, "true", "true"),
        (ValueKind.BOOLEAN, " Nein ", "false"),
        (ValueKind.BOOLEAN, "1", "true"),
        (ValueKind.PERCENT, "7,5", "7.5"),
        (ValueKind.PERCENT, "0", "0"),
        (ValueKind.PERCENT, "100", "100"),
        (ValueKind.PERCENT, "1e1", "10"),
        (ValueKind.POSITIVE_INTEGER, "08", "8"),
        (ValueKind.TEXT, "  anything  ", "anything"),
        (ValueKind.BOOLEAN, "", ""),
    ],
)
def test_setting_value_normalized(kind, value, stored):
    spec = CredentialField("setting", "setting", secret=False, kind=kind)

    assert spec.clean(value) == stored


@pytest.mark.parametrize(
    "kind, value",
    [
        (ValueKind.BOOLEAN, "vielleicht"),
        (ValueKind.PERCENT, "abc"),
        (ValueKind.PERCENT, "101"),
        (ValueKind.PERCENT, "-1"),
        (ValueKind.PERCENT, "NaN"),
        (ValueKind.POSITIVE_INTEGER, "0"),
        (ValueKind.POSITIVE_INTEGER, "8.5"),
        (ValueKind.POSITIVE_INTEGER, "٣"),
    ],
)
def test_setting_value_rejected(kind, value):
    spec = CredentialField("setting", "setting", secret=False, kind=kind)

    with pytest.raises(InvalidSetting) as raised:
        spec.clean(value)

    assert raised.value.value == value


def test_secret_field_rejects_other_kind():
    with pytest.raises(ValueError, match="credential field 'api_key' is secret, so its kind must be 'text', not 'boolean'"):
        CredentialField("api_key", "API key", kind=ValueKind.BOOLEAN)


@pytest.fixture
def admin_client(client):
    client.force_login(get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-admin-1"))
    return client


def odoo_form(**changes):
    data = {
        "kind": "odoo", "name": "Odoo", "slug": "odoo", "base_url": ODOO_URL,
        "enabled": "on", "time_zone": "Europe/Berlin", "rate_limit_per_second": "5", "rate_limit_burst": "10",
        "credential_database": "kontor", "credential_login": "kontor", "credential_api_key": "odoo-key-0123456789",
        "credential_version": "19.0", "credential_confirm_orders": "",
        "entities-TOTAL_FORMS": "0", "entities-INITIAL_FORMS": "0", "entities-MIN_NUM_FORMS": "0", "entities-MAX_NUM_FORMS": "1000",
    }
    return {**data, **changes}


def shopware_form(**changes):
    data = {
        "kind": "shopware", "name": "Shop DE", "slug": "shop-de", "base_url": "https://shop.example.com",
        "enabled": "on", "time_zone": "Europe/Berlin", "rate_limit_per_second": "5", "rate_limit_burst": "10",
        "credential_access_key_id": "SWIA-KEY-1", "credential_secret_access_key": "sw-secret-0123456789",
        "credential_shop_secret": "sw-shop-9876", "credential_tax_rate": "",
        "entities-TOTAL_FORMS": "0", "entities-INITIAL_FORMS": "0", "entities-MIN_NUM_FORMS": "0", "entities-MAX_NUM_FORMS": "1000",
    }
    return {**data, **changes}


def post_form(client, language, data):
    # The override restores the language afterwards, because LocaleMiddleware would leave it active.
    with translation.override(language):
        response = client.post(reverse("admin:integrations_connection_add"), data, HTTP_ACCEPT_LANGUAGE=language)
        errors = {}
        if response.status_code == 200:
            errors = {name: [str(error) for error in field_errors] for name, field_errors in response.context["adminform"].form.errors.items()}
    return response, errors


def test_form_rejects_boolean_english(admin_client):
    response, errors = post_form(admin_client, "en", odoo_form(credential_confirm_orders="vielleicht"))

    assert response.status_code == 200
    assert errors == {"credential_confirm_orders": ['"vielleicht" is not a valid value for "confirm sale orders (true or false)". Enter true or false.']}
    assert not Connection.objects.filter(slug="odoo").exists()


def test_form_rejects_boolean_german(admin_client):
    response, errors = post_form(admin_client, "de", odoo_form(credential_confirm_orders="vielleicht"))

    assert response.status_code == 200
    assert errors == {
        "credential_confirm_orders": ['"vielleicht" ist kein gültiger Wert für "Verkaufsaufträge bestätigen (true oder false)". Geben Sie true oder false ein.'],
    }


def test_form_rejects_odoo_version_german(admin_client):
    response, errors = post_form(admin_client, "de", odoo_form(credential_version="neueste"))

    assert response.status_code == 200
    assert errors == {
        "credential_version": [
            '"neueste" ist kein gültiger Wert für "Odoo-Version, z. B. 17.0 oder 19.0". '
            "Geben Sie die Version so ein, wie Odoo sie unter Einstellungen > Über anzeigt, z. B. 17.0 oder 19.0."
        ],
    }


def test_form_stores_normalized_boolean(admin_client):
    response, errors = post_form(admin_client, "de", odoo_form(credential_confirm_orders="Ja"))

    assert errors == {}
    assert response.status_code == 302
    assert Connection.objects.get(slug="odoo").credentials["confirm_orders"] == "true"


def test_form_rejects_tax_rate_english(admin_client):
    response, errors = post_form(admin_client, "en", shopware_form(credential_tax_rate="abc"))

    assert response.status_code == 200
    assert errors == {
        "credential_tax_rate": ['"abc" is not a valid value for "tax rate of pushed products in % (default 19)". Enter a percentage from 0 to 100, such as 19 or 7.5.'],
    }


def test_form_rejects_tax_rate_german(admin_client):
    response, errors = post_form(admin_client, "de", shopware_form(credential_tax_rate="abc"))

    assert response.status_code == 200
    assert errors == {
        "credential_tax_rate": [
            '"abc" ist kein gültiger Wert für "Steuersatz übertragener Artikel in % (Standard 19)". '
            "Geben Sie einen Prozentsatz von 0 bis 100 ein, z. B. 19 oder 7,5."
        ],
    }


def test_form_stores_tax_rate_with_point(admin_client):
    response, errors = post_form(admin_client, "de", shopware_form(credential_tax_rate="7,5"))

    assert errors == {}
    assert response.status_code == 302
    assert Connection.objects.get(slug="shop-de").credentials["tax_rate"] == "7.5"


def test_form_rejects_sendcloud_method_german(admin_client):
    data = {
        **shopware_form(), "kind": "sendcloud", "slug": "sendcloud", "base_url": "",
        "credential_public_key": "pub", "credential_secret_key": "sec", "credential_shipping_method_id": "DHL Paket",
    }

    response, errors = post_form(admin_client, "de", data)

    assert response.status_code == 200
    assert errors == {
        "credential_shipping_method_id": ['"DHL Paket" ist kein gültiger Wert für "ID der Versandart für neue Pakete". Geben Sie eine ganze Zahl ab 1 ein, z. B. 8.'],
    }
