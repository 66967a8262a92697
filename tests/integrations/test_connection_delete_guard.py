"""A connection with waiting messages or events cannot be deleted in the admin, because its work would be lost with it."""

import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from integrations.models import (
    Connection,
    InboundEvent,
    InboundState,
    OutboundMessage,
    OutboundState,
    SyncError,
)
from integrations.services.connections import deletion_blockers
from orders.models import Order
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def erp():
    return Connection.objects.create(kind="odoo", name="Odoo", slug="odoo", base_url="https://erp.example.com")


def add_message(erp, state):
    order = OrderFactory(external_number=f"1{OutboundMessage.objects.count():04d}")
    return OutboundMessage.objects.create(
        connection=erp, entity="orders", content_type=ContentType.objects.get_for_model(Order), object_id=str(order.pk),
        payload={"order_id": order.pk}, fingerprint="0" * 64, idempotency_key=uuid.uuid4().hex,
        lane="hot", state=state, next_attempt_at=timezone.now(),
    )


def add_event(erp, state):
    number = InboundEvent.objects.count() + 1
    return InboundEvent.objects.create(
        connection=erp, entity="orders", external_id=str(number), dedup_key=f"order:{number}", source="pull",
        payload={"id": number}, received_at=timezone.now(), state=state,
    )


def test_blockers_count_waiting_work_only(erp):
    add_message(erp, OutboundState.PENDING)
    add_message(erp, OutboundState.IN_FLIGHT)
    add_message(erp, OutboundState.DELIVERED)
    add_message(erp, OutboundState.FAILED)
    add_event(erp, InboundState.PENDING)
    add_event(erp, InboundState.PROCESSED)

    blockers = deletion_blockers(erp)

    assert blockers == [
        "2 outbound messages to Odoo are not delivered yet and would be lost. Disable the connection instead, or wait until they are delivered.",
        "1 inbound event from Odoo is not processed yet and would be lost. Disable the connection instead, or wait until it is processed.",
    ]


def test_history_blocks_delete_with_reason(erp):
    add_message(erp, OutboundState.DELIVERED)
    add_event(erp, InboundState.FAILED)

    assert deletion_blockers(erp) == [
        "Kontor keeps the messages, events and sync errors of Odoo as the record of its traffic. "
        "Disable the connection instead of deleting it."
    ]


def test_unused_connection_has_no_blockers(erp):
    assert deletion_blockers(erp) == []


def test_admin_delete_refused_with_waiting_message(staff_client, erp):
    add_message(erp, OutboundState.PENDING)
    url = reverse("admin:integrations_connection_delete", args=[erp.pk])

    page = staff_client.get(url, headers={"accept-language": "de"})
    staff_client.post(url, {"post": "yes"})

    assert page.status_code == 200
    assert page.context["protected"] == [
        "1 ausgehende Nachricht an Odoo ist noch nicht zugestellt und ginge verloren. "
        "Deaktivieren Sie die Verbindung stattdessen oder warten Sie, bis sie zugestellt ist."
    ]
    assert Connection.objects.filter(pk=erp.pk).exists()
    assert OutboundMessage.objects.filter(connection=erp).count() == 1


def test_admin_delete_page_heading_in_german(staff_client, erp):
    add_message(erp, OutboundState.PENDING)

    page = staff_client.get(reverse("admin:integrations_connection_delete", args=[erp.pk]), headers={"accept-language": "de"})

    text = page.content.decode()
    assert "Kontor behält die Verbindung „Odoo“:" in text
    assert "Das Löschen des Verbindung" not in text
    assert "geschützten verwandten Objekte" not in text


def test_admin_bulk_delete_refused_with_waiting_event(staff_client, erp):
    add_event(erp, InboundState.PENDING)

    staff_client.post(
        reverse("admin:integrations_connection_changelist"),
        {"action": "delete_selected", "_selected_action": [erp.pk], "post": "yes"},
    )

    assert Connection.objects.filter(pk=erp.pk).exists()
    assert InboundEvent.objects.filter(connection=erp).count() == 1


def test_admin_delete_page_gives_reason_not_permissions(staff_client, erp):
    add_message(erp, OutboundState.DELIVERED)

    page = staff_client.get(reverse("admin:integrations_connection_delete", args=[erp.pk]))

    assert page.status_code == 200
    assert page.context["perms_lacking"] == set()
    assert len(page.context["protected"]) == 1
    assert "Disable the connection instead of deleting it." in page.context["protected"][0]


def test_admin_deletes_unused_connection(staff_client, erp):
    staff_client.post(reverse("admin:integrations_connection_delete", args=[erp.pk]), {"post": "yes"})

    assert not Connection.objects.filter(pk=erp.pk).exists()


def test_sync_errors_alone_block_with_reason(staff_client, erp):
    SyncError.objects.create(connection=erp, direction="outbound", entity="orders", code="server_error", message="Odoo answered 500.")

    page = staff_client.get(reverse("admin:integrations_connection_delete", args=[erp.pk]), headers={"accept-language": "de"})

    assert page.context["perms_lacking"] == set()
    assert page.context["protected"] == [
        "Kontor bewahrt die Nachrichten, Ereignisse und Synchronisationsfehler von Odoo als Nachweis ihres Verkehrs auf. "
        "Deaktivieren Sie die Verbindung, statt sie zu löschen."
    ]
