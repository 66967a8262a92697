"""The outbox list names an order by its number and a product by its SKU, not by their internal ids."""

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from catalog.models import Product
from integrations.models import Connection, OutboundMessage
from tests.factories import CustomerFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:integrations_outboundmessage_changelist")


@pytest.fixture
def erp():
    return Connection.objects.create(kind="odoo", name="Odoo", slug="odoo", base_url="https://erp.example.com")


def queue_message(connection, record=None, *, object_id=None, model=None, entity="orders"):
    """Store an outbound message about `record`, or about `object_id` of `model` when the record is gone."""
    model = model or type(record)
    object_id = str(object_id if object_id is not None else record.pk)
    return OutboundMessage.objects.create(
        connection=connection,
        entity=entity,
        content_type=ContentType.objects.get_for_model(model),
        object_id=object_id,
        payload={},
        fingerprint="0" * 64,
        idempotency_key=f"{model._meta.model_name}-{object_id}-{OutboundMessage.objects.count()}",
        lane="hot",
        next_attempt_at=timezone.now(),
    )


def record_cells(client, language="de"):
    """Return the texts of the record column of the list in `language`, in page order, and the queries it took."""
    with translation.override(language), CaptureQueriesContext(db_connection) as queries:
        response = client.get(LIST_URL, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    html = response.content.decode()
    return re.findall(r'<td class="field-record_label">([^<]*)</td>', html), len(queries)


def test_outbox_names_records_by_business_key(admin_client, erp):
    # given messages about an order, a product, a customer and a deleted product
    order = OrderFactory(external_number="10042")
    queue_message(erp, order)
    queue_message(erp, ProductFactory(sku="SKU-1239"), entity="products")
    queue_message(erp, CustomerFactory(email="anna@example.com"), entity="customers")
    queue_message(erp, object_id=999999, model=Product, entity="products")

    # when the list opens in German and in English
    german, _queries = record_cells(admin_client, "de")
    english, _queries = record_cells(admin_client, "en")

    # then each record shows its business key, a deleted one its id, and no cell the order's id
    assert sorted(german) == ["Artikel 999999", "Artikel SKU-1239", "Bestellung 10042", "Kunde anna@example.com"]
    assert sorted(english) == ["Customer anna@example.com", "Order 10042", "Product 999999", "Product SKU-1239"]
    assert f"Bestellung {order.pk}" not in german


def test_outbox_record_names_no_query_per_row(admin_client, erp):
    # given one message each about an order, a product and a customer
    queue_message(erp, OrderFactory())
    queue_message(erp, ProductFactory(), entity="products")
    queue_message(erp, CustomerFactory(), entity="customers")
    _cells, queries_for_three = record_cells(admin_client)

    # when ten more rows of the same record types are added
    for _ in range(4):
        queue_message(erp, OrderFactory())
        queue_message(erp, ProductFactory(), entity="products")
    queue_message(erp, CustomerFactory(), entity="customers")
    queue_message(erp, CustomerFactory(), entity="customers")
    cells, queries_for_thirteen = record_cells(admin_client)

    # then the page takes as many queries as before
    assert len(cells) == 13
    assert queries_for_thirteen == queries_for_three


def test_outbox_page_shows_record_name(admin_client, erp):
    # given a message about an order
    message = queue_message(erp, OrderFactory(external_number="10042"))

    # when its page opens in German
    with translation.override("de"):
        html = admin_client.get(
            reverse("admin:integrations_outboundmessage_change", args=[message.pk]), HTTP_ACCEPT_LANGUAGE="de"
        ).content.decode()

    # then the page names the order by its number
    match = re.search(r'field-record_label">.*?<label>([^<]*)</label>\s*<div class="readonly">([^<]*)</div>', html, re.DOTALL)
    assert match is not None
    assert match.group(1) == "Datensatz:"
    assert match.group(2) == "Bestellung 10042"
