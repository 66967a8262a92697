"""The outbox and sync error lists find a record by its name as the lists show it, with the record type label in either language."""

import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from integrations.admin.records import without_record_label
from integrations.models import Connection, OutboundMessage, OutboundState, SyncDirection
from integrations.services.syncruns import record_sync_error
from tests.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db

OUTBOX_URL = reverse("admin:integrations_outboundmessage_changelist")
SYNC_ERRORS_URL = reverse("admin:integrations_syncerror_changelist")


@pytest.fixture
def erp():
    return Connection.objects.create(kind="odoo", name="Odoo", slug="odoo", base_url="https://erp.example.com")


def queue_message(connection, record, entity):
    return OutboundMessage.objects.create(
        connection=connection,
        entity=entity,
        content_type=ContentType.objects.get_for_model(record),
        object_id=str(record.pk),
        payload={},
        fingerprint="0" * 64,
        idempotency_key=uuid.uuid4().hex,
        lane="hot",
        next_attempt_at=timezone.now(),
    )


def search(client, url, term):
    """Return the primary keys that the list at `url` shows for the search `term`."""
    response = client.get(url, {"q": term})
    assert response.status_code == 200
    return sorted(row.pk for row in response.context["cl"].result_list)


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("Bestellung 10109", "10109"),
        ("Order 10109", "10109"),
        ("order   10109", "10109"),
        ("BESTELLUNG 10109", "10109"),
        ("Artikel SKU-1 B", "SKU-1 B"),
        ("Kunde anna@example.com", "anna@example.com"),
        ("Customer anna@example.com", "anna@example.com"),
        ("Bestellung", "Bestellung"),
        ("Order-10109", "Order-10109"),
        ("Bestellungen 10109", "Bestellungen 10109"),
        ("10109", "10109"),
    ],
)
def test_label_removed_from_term(term, expected):
    assert without_record_label(term) == expected


@pytest.mark.parametrize("term", ["Bestellung 10109", "Order 10109", "bestellung 10109", "10109"])
def test_outbox_finds_labelled_order(staff_client, erp, term):
    matching = queue_message(erp, OrderFactory(external_number="10109"), "orders")
    queue_message(erp, OrderFactory(external_number="10110"), "orders")

    assert search(staff_client, OUTBOX_URL, term) == [matching.pk]


@pytest.mark.parametrize("term", ["Artikel SKU-4711", "Product SKU-4711"])
def test_outbox_finds_labelled_product(staff_client, erp, term):
    matching = queue_message(erp, ProductFactory(sku="SKU-4711"), "products")
    queue_message(erp, ProductFactory(sku="SKU-9999"), "products")

    assert search(staff_client, OUTBOX_URL, term) == [matching.pk]


@pytest.mark.parametrize("term", ["Bestellung 10213", "Order 10213"])
def test_sync_errors_find_labelled_order(staff_client, erp, term):
    matching = record_sync_error(erp, SyncDirection.OUTBOUND, RuntimeError("timeout"), entity="orders", record=OrderFactory(external_number="10213"))
    record_sync_error(erp, SyncDirection.OUTBOUND, RuntimeError("timeout"), entity="orders", record=OrderFactory(external_number="10214"))

    assert search(staff_client, SYNC_ERRORS_URL, term) == [matching.pk]


def test_label_alone_finds_nothing(staff_client, erp):
    queue_message(erp, OrderFactory(external_number="10109"), "orders")

    assert search(staff_client, OUTBOX_URL, "Bestellung") == []


def test_labelled_search_keeps_record_type(staff_client):
    # An order number that is also the start of a SKU: the label says which one is meant.
    erp = Connection.objects.create(kind="odoo", name="Odoo", slug="odoo-types", base_url="https://erp.example.com")
    order = OrderFactory(external_number="10041")
    product = ProductFactory(sku="1004114")
    for record, entity in ((order, "orders"), (product, "stock")):
        OutboundMessage.objects.create(
            connection=erp, entity=entity, content_type=ContentType.objects.get_for_model(record), object_id=str(record.pk),
            payload={}, fingerprint="0" * 64, idempotency_key=uuid.uuid4().hex, lane="hot",
            state=OutboundState.PENDING, next_attempt_at=timezone.now(),
        )

    page = staff_client.get(reverse("admin:integrations_outboundmessage_changelist"), {"q": "Bestellung 10041"})
    bare = staff_client.get(reverse("admin:integrations_outboundmessage_changelist"), {"q": "10041"})

    assert [message.object_id for message in page.context["cl"].result_list] == [str(order.pk)]
    assert len(bare.context["cl"].result_list) == 2
