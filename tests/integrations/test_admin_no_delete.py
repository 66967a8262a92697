"""Outbound messages, inbound events and sync errors cannot be deleted in the admin, because they record what was sent, received and failed."""

import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from integrations.models import Connection, InboundEvent, OutboundMessage, OutboundState, SyncError
from orders.models import Order
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def erp():
    return Connection.objects.create(kind="odoo", name="Odoo", slug="odoo", base_url="https://erp.example.com")


@pytest.fixture
def pending_message(erp):
    order = OrderFactory(external_number="10109")
    return OutboundMessage.objects.create(
        connection=erp, entity="orders", content_type=ContentType.objects.get_for_model(Order), object_id=str(order.pk),
        payload={"order_id": order.pk, "number": "10109"}, fingerprint="0" * 64, idempotency_key=uuid.uuid4().hex,
        lane="hot", state=OutboundState.PENDING, next_attempt_at=timezone.now(),
    )


@pytest.fixture
def pending_event(erp):
    return InboundEvent.objects.create(
        connection=erp, entity="orders", external_id="7", dedup_key="order:7:1", source="pull",
        payload={"id": 7}, received_at=timezone.now(),
    )


def admin_urls(row):
    """Return the list, detail and delete addresses of `row`'s admin."""
    prefix = f"admin:{row._meta.app_label}_{row._meta.model_name}"
    return reverse(f"{prefix}_changelist"), reverse(f"{prefix}_change", args=[row.pk]), reverse(f"{prefix}_delete", args=[row.pk])


@pytest.mark.parametrize("row_fixture", ["pending_message", "pending_event"])
def test_admin_offers_no_delete(staff_client, request, row_fixture):
    # given a pending outbound message or inbound event
    row = request.getfixturevalue(row_fixture)
    list_url, detail_url, delete_url = admin_urls(row)

    # when a superuser opens its list and its detail page
    listing = staff_client.get(list_url)
    detail = staff_client.get(detail_url)

    # then neither offers a delete action or button
    assert listing.status_code == 200
    assert 'value="delete_selected"' not in listing.content.decode()
    assert detail.status_code == 200
    assert detail.context["has_delete_permission"] is False
    assert delete_url not in detail.content.decode()


@pytest.mark.parametrize("row_fixture", ["pending_message", "pending_event"])
def test_admin_rejects_delete_requests(staff_client, request, row_fixture):
    # given a pending outbound message or inbound event
    row = request.getfixturevalue(row_fixture)
    list_url, _detail_url, delete_url = admin_urls(row)

    # when a superuser posts to its delete page and the bulk delete action anyway
    single = staff_client.post(delete_url, {"post": "yes"})
    bulk = staff_client.post(list_url, {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"})

    # then both are rejected and the row is kept
    assert single.status_code == 403
    assert bulk.status_code in (200, 302)
    assert type(row).objects.filter(pk=row.pk).exists()


def test_sync_error_admin_offers_no_delete(staff_client, erp):
    sync_error = SyncError.objects.create(
        connection=erp, direction="outbound", entity="orders", code="server_error", message="Odoo answered 500."
    )
    list_url, detail_url, delete_url = admin_urls(sync_error)

    listing = staff_client.get(list_url)
    detail = staff_client.get(detail_url)
    deleted = staff_client.post(delete_url, {"post": "yes"})

    assert 'value="delete_selected"' not in listing.content.decode()
    assert detail.context["has_delete_permission"] is False
    assert deleted.status_code == 403
    assert SyncError.objects.filter(pk=sync_error.pk).exists()
