"""Admin messages with a count use the singular for one item, and the German outbox page names the worker's hold plainly."""

import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone, translation

from integrations.models import Conflict, Connection, OutboundMessage, SyncDirection
from integrations.services.syncruns import record_sync_error
from orders.models import Order
from tests.admin_pages import render_page
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return Connection.objects.create(kind="shopware", name="Shopware DE", slug="shopware-de", base_url="https://shop.example.com")


def add_conflicts(shop, count):
    conflicts = []
    for _ in range(count):
        order = OrderFactory()
        conflicts.append(Conflict.objects.create(
            connection=shop, content_type=ContentType.objects.get_for_model(order), object_id=str(order.pk),
            domain="orders", field_group="status", field="status", current_value="new", incoming_value="cancelled",
        ))
    return conflicts


def add_sync_errors(shop, count):
    return [
        record_sync_error(shop, SyncDirection.OUTBOUND, RuntimeError("timeout"), entity="orders", record=OrderFactory())
        for _ in range(count)
    ]


def run_action(client, model_name, action, rows, language):
    """Run the list action `action` on `rows` in `language` and return the messages shown after it."""
    url = reverse(f"admin:integrations_{model_name}_changelist")
    data = {"action": action, "_selected_action": [row.pk for row in rows]}
    with translation.override(language):
        response = client.post(url, data, HTTP_ACCEPT_LANGUAGE=language, follow=True)
    assert response.status_code == 200
    return [str(message) for message in response.context["messages"]]


@pytest.mark.parametrize(
    ("count", "language", "expected"),
    [
        (1, "de", "1 Konflikt als erledigt markiert."),
        (2, "de", "2 Konflikte als erledigt markiert."),
        (1, "en", "1 conflict marked resolved."),
        (2, "en", "2 conflicts marked resolved."),
    ],
)
def test_conflict_resolve_message_plural(staff_client, shop, count, language, expected):
    conflicts = add_conflicts(shop, count)

    messages_shown = run_action(staff_client, "conflict", "mark_resolved", conflicts, language)

    assert messages_shown == [expected]
    assert Conflict.objects.filter(resolved=True).count() == count


@pytest.mark.parametrize(
    ("count", "language", "expected"),
    [
        (1, "de", "1 Synchronisationsfehler als erledigt markiert."),
        (2, "de", "2 Synchronisationsfehler als erledigt markiert."),
        (1, "en", "1 sync error marked resolved."),
        (2, "en", "2 sync errors marked resolved."),
    ],
)
def test_sync_error_resolve_message_plural(staff_client, shop, count, language, expected):
    errors = add_sync_errors(shop, count)

    messages_shown = run_action(staff_client, "syncerror", "mark_resolved", errors, language)

    assert messages_shown == [expected]


def test_outbox_page_german_hold_labels(staff_client, shop):
    # given a message that a worker has claimed and is sending
    order = OrderFactory()
    message = OutboundMessage.objects.create(
        connection=shop, entity="orders", content_type=ContentType.objects.get_for_model(Order), object_id=str(order.pk),
        payload={"order_id": order.pk, "number": order.external_number}, fingerprint="0" * 64,
        idempotency_key=uuid.uuid4().hex, lane="hot", state="in_flight", next_attempt_at=timezone.now(),
        lease_expires_at=timezone.now(), claim_token=uuid.uuid4().hex,
    )

    # when its page opens in German
    html = render_page(staff_client, reverse("admin:integrations_outboundmessage_change", args=[message.pk]), "de")

    # then the hold reads as work in progress, not as a stock reservation
    assert "In Bearbeitung bis:" in html
    assert "Bearbeitungskennung:" in html
    assert "Reservierung" not in html
