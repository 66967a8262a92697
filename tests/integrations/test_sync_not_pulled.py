"""`manage.py sync` for entities that a connector reads without delta pulls (imports, webhooks)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from integrations.akeneo.services import create_akeneo_connection, csv_import_connection
from integrations.models import Connection, ConnectionEntity, Direction, SyncError, SyncRun
from integrations.registry import get_connector

pytestmark = pytest.mark.django_db


def run_sync(*args):
    call_command("sync", *args, stdout=StringIO(), stderr=StringIO())


def test_akeneo_csv_products_name_import_command():
    csv_import_connection()

    with pytest.raises(CommandError) as raised:
        run_sync("akeneo-csv-import", "--entity", "products")

    assert str(raised.value) == (
        "Connection 'akeneo-csv-import' (Akeneo PIM) cannot pull products. Akeneo PIM pulls no entity.\n"
        "This connection imports the files of an Akeneo CSV export instead. To import them, run: "
        "manage.py import_catalog EXPORT_FOLDER --connection akeneo-csv-import"
    )
    assert SyncRun.objects.count() == 0
    assert SyncError.objects.count() == 0


def test_akeneo_api_entities_explained_once():
    connection = create_akeneo_connection(
        name="Akeneo PIM",
        slug="akeneo-api",
        base_url="https://pim.example.com",
        credentials={"client_id": "kontor", "secret": "s3cret-value", "username": "kontor_api", "password": "pw-value"},
    )
    ConnectionEntity.objects.create(connection=connection, entity="products", direction=Direction.IN)
    ConnectionEntity.objects.create(connection=connection, entity="categories", direction=Direction.IN)

    with pytest.raises(CommandError) as raised:
        run_sync("akeneo-api")

    assert str(raised.value) == (
        "Connection 'akeneo-api' (Akeneo PIM) cannot pull products, categories. Akeneo PIM pulls no entity.\n"
        "This connection reads the catalog through an import from the Akeneo API instead. To import "
        "the changes since the last import, run: manage.py import_catalog akeneo-api"
    )
    assert SyncRun.objects.count() == 0
    assert SyncError.objects.count() == 0


def test_webhook_connector_payments_not_pulled():
    Connection.objects.create(kind="stripe", name="Stripe", slug="stripe")

    with pytest.raises(CommandError) as raised:
        run_sync("stripe", "--entity", "payments")

    assert str(raised.value) == (
        "Connection 'stripe' (Stripe) cannot pull payments. Stripe pulls no entity.\n"
        "Stripe sends changes of payments through webhooks, so there is nothing to pull."
    )
    assert SyncRun.objects.count() == 0
    assert SyncError.objects.count() == 0


def test_pulling_connector_lists_pulled_entities():
    Connection.objects.create(kind="shopware", name="Shop DE", slug="shop-de", base_url="https://shop.example.com")

    with pytest.raises(CommandError) as raised:
        run_sync("shop-de", "--entity", "customers")

    assert str(raised.value) == "Connection 'shop-de' (Shopware 6) cannot pull customers. It pulls: orders."
    assert SyncRun.objects.count() == 0


@pytest.mark.parametrize(
    ("kind", "pulled"),
    [
        ("akeneo", set()),
        ("stripe", set()),
        ("dhl", set()),
        ("shopware", {"orders"}),
        ("odoo", {"orders", "stock"}),
    ],
)
def test_pulled_entities_follow_pull_override(kind, pulled):
    assert set(get_connector(kind).pulled_entities()) == pulled
