"""The connection admin saves an Akeneo connection that imports CSV exports without API credentials."""

import pytest
from django.urls import reverse
from django.utils import translation

from integrations.akeneo.services import csv_import_connection
from integrations.models import Connection

pytestmark = pytest.mark.django_db

API_CREDENTIALS = {
    "credential_client_id": "3_4bcd1ef2",
    "credential_secret": "s3cr3t-0123456789",
    "credential_username": "kontor_api",
    "credential_password": "pw-0123456789",
}


def form_data(connection, **changes):
    """Return the change form's POST data for `connection`, without inline rows."""
    data = {
        "kind": connection.kind,
        "name": connection.name,
        "slug": connection.slug,
        "base_url": connection.base_url,
        "enabled": "on",
        "time_zone": connection.time_zone,
        "rate_limit_per_second": str(connection.rate_limit_per_second),
        "rate_limit_burst": str(connection.rate_limit_burst),
        "entities-TOTAL_FORMS": "0",
        "entities-INITIAL_FORMS": "0",
        "entities-MIN_NUM_FORMS": "0",
        "entities-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    data.update(changes)
    return data


def post_change(client, connection, language="en", **changes):
    url = reverse("admin:integrations_connection_change", args=[connection.pk])
    # The override restores the language afterwards, because LocaleMiddleware would leave it active.
    with translation.override(language):
        return client.post(url, form_data(connection, **changes), HTTP_ACCEPT_LANGUAGE=language)


def field_errors(response, field):
    return [str(error) for error in response.context["adminform"].form.errors.get(field, [])]


def test_csv_connection_saves_without_credentials(admin_client):
    connection = csv_import_connection()

    response = post_change(admin_client, connection, name="Akeneo CSV-Import")

    connection.refresh_from_db()
    assert response.status_code == 302
    assert connection.name == "Akeneo CSV-Import"
    assert connection.base_url == ""
    assert connection.credentials == {}


def test_akeneo_csv_connection_added_without_credentials(admin_client):
    data = form_data(Connection(kind="akeneo", name="PIM export", slug="pim-export"))

    response = admin_client.post(reverse("admin:integrations_connection_add"), data)

    assert response.status_code == 302
    connection = Connection.objects.get(slug="pim-export")
    assert (connection.kind, connection.base_url, connection.credentials) == ("akeneo", "", {})


def test_api_connection_names_missing_credentials(admin_client):
    connection = csv_import_connection()

    response = post_change(
        admin_client, connection, base_url="https://pim.example.com",
        credential_client_id="3_4bcd1ef2", credential_secret="s3cr3t-0123456789",
    )

    connection.refresh_from_db()
    assert response.status_code == 200
    assert field_errors(response, "credential_username") == [
        'The field "API user name" is missing. The Akeneo PIM API at https://pim.example.com needs it, so '
        "enter it, or leave the base URL empty for a connection that imports CSV exports."
    ]
    assert field_errors(response, "credential_password") == [
        'The field "API user password" is missing. The Akeneo PIM API at https://pim.example.com needs it, so '
        "enter it, or leave the base URL empty for a connection that imports CSV exports."
    ]
    assert field_errors(response, "credential_client_id") == []
    assert field_errors(response, "credential_secret") == []
    assert connection.base_url == ""
    assert connection.credentials == {}


def test_api_connection_missing_credential_german(admin_client):
    connection = csv_import_connection()

    response = post_change(admin_client, connection, language="de", base_url="https://pim.example.com", **{
        **API_CREDENTIALS, "credential_password": "",
    })

    assert field_errors(response, "credential_password") == [
        "Das Feld „Passwort des API-Benutzers“ fehlt. Die Akeneo PIM-API unter https://pim.example.com braucht es. "
        "Geben Sie es ein oder lassen Sie die Basis-URL bei einer Verbindung, die CSV-Exporte importiert, leer."
    ]


def test_api_connection_saves_with_all_credentials(admin_client):
    connection = csv_import_connection()

    response = post_change(admin_client, connection, base_url="https://pim.example.com", **API_CREDENTIALS)

    connection.refresh_from_db()
    assert response.status_code == 302
    assert connection.base_url == "https://pim.example.com"
    assert connection.credentials == {
        "client_id": "3_4bcd1ef2",
        "secret": "s3cr3t-0123456789",
        "username": "kontor_api",
        "password": "pw-0123456789",
    }


def test_api_connection_keeps_stored_credentials(admin_client):
    connection = csv_import_connection()
    connection.base_url = "https://pim.example.com"
    connection.set_credentials({"client_id": "3_4bcd1ef2", "secret": "s", "username": "u", "password": "p"})
    connection.save()

    response = post_change(admin_client, connection, name="PIM")

    connection.refresh_from_db()
    assert response.status_code == 302
    assert connection.name == "PIM"
    assert connection.credentials == {"client_id": "3_4bcd1ef2", "secret": "s", "username": "u", "password": "p"}


def test_credentials_without_base_url_rejected(admin_client):
    connection = csv_import_connection()

    response = post_change(admin_client, connection, **API_CREDENTIALS)

    connection.refresh_from_db()
    assert response.status_code == 200
    assert field_errors(response, "base_url") == [
        "Enter the base URL of the Akeneo PIM API, because API credentials were entered. "
        "For a connection that imports CSV exports, leave the credentials empty."
    ]
    assert connection.credentials == {}


def test_error_hides_user_info_of_base_url(admin_client):
    connection = csv_import_connection()

    response = post_change(admin_client, connection, base_url="https://kontor:hunter22@pim.example.com/?token=abc")

    message = field_errors(response, "credential_client_id")[0]
    assert "at https://pim.example.com needs it" in message
    assert "hunter22" not in message
    assert "token=abc" not in message


def test_shopware_connection_still_requires_credentials(admin_client):
    connection = Connection.objects.create(kind="shopware", name="Shop DE", slug="shop-de", base_url="https://shop.example.com")

    response = post_change(admin_client, connection)

    assert response.status_code == 200
    assert field_errors(response, "credential_access_key_id") == ["This field is required."]
