"""`manage.py sync --direction push` for connections whose connector does not push the entity."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from integrations.akeneo.services import csv_import_connection
from integrations.models import Connection, SyncError, SyncRun
from integrations.registry import get_connector

pytestmark = pytest.mark.django_db


def run_sync(*args):
    out = StringIO()
    call_command("sync", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_akeneo_csv_push_rejected():
    csv_import_connection()

    with pytest.raises(CommandError) as raised:
        run_sync("akeneo-csv-import", "--direction", "push")

    assert str(raised.value) == (
        "Connection 'akeneo-csv-import' (Akeneo PIM) cannot push, because Akeneo PIM pushes no entity."
    )
    assert SyncRun.objects.count() == 0
    assert SyncError.objects.count() == 0


def test_akeneo_csv_push_entity_rejected():
    csv_import_connection()

    with pytest.raises(CommandError) as raised:
        run_sync("akeneo-csv-import", "--direction", "push", "--entity", "products")

    assert str(raised.value) == (
        "Connection 'akeneo-csv-import' (Akeneo PIM) cannot push products, because Akeneo PIM pushes no entity."
    )
    assert SyncRun.objects.count() == 0


def test_shopware_push_customers_lists_pushed():
    Connection.objects.create(kind="shopware", name="Shop DE", slug="shop-de", base_url="https://shop.example.com")

    with pytest.raises(CommandError) as raised:
        run_sync("shop-de", "--direction", "push", "--entity", "customers")

    assert str(raised.value) == (
        "Connection 'shop-de' (Shopware 6) cannot push customers. It pushes: orders, prices, products, shipments, stock."
    )
    assert SyncRun.objects.count() == 0
    assert SyncError.objects.count() == 0


def test_shopware_push_pushed_entity_runs():
    Connection.objects.create(kind="shopware", name="Shop DE", slug="shop-de", base_url="https://shop.example.com")

    output = run_sync("shop-de", "--direction", "push", "--entity", "stock")

    run = SyncRun.objects.get()
    assert (run.entity, run.read_count) == ("stock", 0)
    assert output.startswith("push batch shop-de stock: succeeded, read 0,")


@pytest.mark.parametrize(
    ("kind", "pushed"),
    [
        ("akeneo", set()),
        ("stripe", set()),
        ("dhl", set()),
        ("shopware", {"products", "prices", "stock", "orders", "shipments"}),
        ("odoo", {"orders", "customers"}),
    ],
)
def test_pushed_entities_follow_deliver_override(kind, pushed):
    assert set(get_connector(kind).pushed_entities()) == pushed
