"""The sync error list names a product by its SKU, an order by its number and a customer by email."""

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from catalog.models import Product
from integrations.models import Connection, SyncDirection, SyncError
from tests.factories import CustomerFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:integrations_syncerror_changelist")


@pytest.fixture
def shop():
    return Connection.objects.create(kind="shopware", name="Shop DE", slug="shop-de", base_url="https://shop.example.com")


def record_error(connection, record=None, *, object_id=None, model=None, external_id=""):
    """Record a sync error about `record`, or about `object_id` of `model` when the record is gone."""
    model = model or type(record)
    return SyncError.objects.create(
        connection=connection,
        direction=SyncDirection.OUTBOUND,
        entity="products",
        content_type=ContentType.objects.get_for_model(model),
        object_id=str(object_id if object_id is not None else record.pk),
        external_id=external_id,
        code="rejected",
        message="Rejected by the shop.",
    )


def record_cells(client):
    """Return the texts of the record column of the German list, in page order, and the queries it took."""
    with translation.override("de"), CaptureQueriesContext(db_connection) as queries:
        html = client.get(LIST_URL, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    return re.findall(r'<td class="field-record_label">([^<]*)</td>', html), len(queries)


def test_records_named_by_business_key(admin_client, shop):
    # given errors about a product, an order, a customer, a deleted product and an external record
    product = ProductFactory(sku="SKU-1239")
    order = OrderFactory(external_number="10042")
    customer = CustomerFactory(email="anna@example.com")
    record_error(shop, product)
    record_error(shop, order)
    record_error(shop, customer)
    record_error(shop, object_id=999999, model=Product)
    SyncError.objects.create(
        connection=shop, direction=SyncDirection.INBOUND, entity="orders", external_id="SW-77", code="rejected", message="x"
    )

    # when the German list opens
    cells, _queries = record_cells(admin_client)

    # then each record shows its business key, and the others their id
    assert cells == [
        "SW-77",
        "Artikel 999999",
        "Kunde anna@example.com",
        "Bestellung 10042",
        "Artikel SKU-1239",
    ]


def test_record_names_cost_no_query_per_row(admin_client, shop):
    # given one error each about a product, an order and a customer
    record_error(shop, ProductFactory())
    record_error(shop, OrderFactory())
    record_error(shop, CustomerFactory())
    _cells, queries_for_three = record_cells(admin_client)

    # when ten more rows of the same record types are added
    for _ in range(4):
        record_error(shop, ProductFactory())
        record_error(shop, OrderFactory())
    record_error(shop, CustomerFactory())
    record_error(shop, CustomerFactory())
    cells, queries_for_thirteen = record_cells(admin_client)

    # then the page takes as many queries as before
    assert len(cells) == 13
    assert queries_for_thirteen == queries_for_three
