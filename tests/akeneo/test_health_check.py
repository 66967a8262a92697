""""Test connection" on Akeneo connections that cannot reach the API."""

from django.utils import translation

from integrations.akeneo.services import create_akeneo_connection, csv_import_connection
from integrations.services.connections import check_connection


def test_csv_connection_explains_it_has_no_api(db):
    connection = csv_import_connection()

    ok, text = check_connection(connection)

    assert ok is False
    assert text == (
        "Akeneo CSV import reads an Akeneo CSV export (manage.py import_catalog <folder>) and has no API "
        "credentials, so there is no API connection to test. To read the catalog through the Akeneo "
        "API instead, enter the base URL and the client ID, secret, API user name and password."
    )


def test_csv_connection_message_in_german(db):
    connection = csv_import_connection()

    with translation.override("de"):
        ok, text = check_connection(connection)

    assert ok is False
    assert text.startswith("Akeneo CSV import liest einen Akeneo-CSV-Export")


def test_api_connection_names_missing_credentials(db):
    connection = create_akeneo_connection(
        name="Akeneo", slug="akeneo", base_url="http://localhost:8000/sandbox/akeneo",
        credentials={"client_id": "kontor", "secret": "s3cret", "username": "", "password": ""},
    )

    ok, text = check_connection(connection)

    assert ok is False
    assert text == (
        "Akeneo cannot reach the Akeneo API because these connection settings are missing: "
        "API user name, API user password. Enter them, then run \"Test connection\" again."
    )
