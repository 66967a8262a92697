import pytest
import responses
from django.db import transaction
from django.urls import reverse

from catalog.models import Warehouse
from integrations.models import Conflict, LeadingSystemRule, OutboundState, SyncError
from integrations.services.delivery import deliver_message
from integrations.services.outbox import enqueue_outbound
from integrations.services.syncruns import record_sync_error
from integrations.tasks import deliver_outbound_message
from tests.integrations.framework.conftest import BASE_URL, make_connection

pytestmark = pytest.mark.django_db


def failed_message(shop, warehouse):
    responses.put(f"{BASE_URL}/products/{warehouse.pk}", status=404)
    with transaction.atomic():
        (message,) = enqueue_outbound(warehouse, "products", {"name": warehouse.name})
    assert deliver_message(message.pk) == OutboundState.FAILED
    return message


@responses.activate
def test_retry_button_requeues_and_succeeds(staff_client, shop, queued, django_capture_on_commit_callbacks):
    warehouse = Warehouse.objects.create(code="W1", name="Main")
    message = failed_message(shop, warehouse)
    sync_error = SyncError.objects.get()
    responses.replace(responses.PUT, f"{BASE_URL}/products/{warehouse.pk}", status=200)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:integrations_syncerror_changelist"),
            {"action": "retry", "_selected_action": [sync_error.pk]},
        )
    (task,) = queued
    deliver_outbound_message(*task[1])

    assert response.status_code == 302
    assert task == ("integrations.tasks.deliver_outbound_message", (message.pk,), message.lane)
    message.refresh_from_db()
    assert message.state == OutboundState.DELIVERED
    assert message.attempts == 1
    sync_error.refresh_from_db()
    assert sync_error.resolved is True


@responses.activate
def test_retry_all_matching_uses_filters(staff_client, shop, queued, django_capture_on_commit_callbacks):
    erp = make_connection("erp", entities=())
    shop_error = SyncError.objects.create(connection=shop, direction="outbound", code="x", message="m")
    failed_message(shop, Warehouse.objects.create(code="W1", name="Main"))
    record_sync_error(erp, "inbound", ValueError("boom"))

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:integrations_syncerror_retry_matching") + f"?connection__id__exact={shop.pk}"
        )

    assert response.status_code == 302
    # Only the shop's error with an outbound message can be retried; the other has no item.
    assert [task[0] for task in queued] == ["integrations.tasks.deliver_outbound_message"]
    assert SyncError.objects.get(pk=shop_error.pk).next_retry_at is None


def test_mark_resolved(staff_client, shop):
    sync_error = SyncError.objects.create(connection=shop, direction="outbound", code="x", message="m")

    staff_client.post(
        reverse("admin:integrations_syncerror_changelist"),
        {"action": "mark_resolved", "_selected_action": [sync_error.pk]},
    )

    sync_error.refresh_from_db()
    assert sync_error.resolved is True
    assert sync_error.resolved_at is not None


def test_sync_error_list_filters_and_message(staff_client, shop):
    SyncError.objects.create(connection=shop, direction="outbound", code="mapping_missing", message="No category mapping for the value \"shoes\"")

    response = staff_client.get(reverse("admin:integrations_syncerror_changelist") + "?resolved__exact=0")

    assert response.status_code == 200
    assert "No category mapping for the value &quot;shoes&quot;" in response.content.decode()
    assert "Retry all matching" in response.content.decode()


def test_conflict_list_shows_both_values(staff_client, shop, erp):
    warehouse = Warehouse.objects.create(code="W1", name="ERP name")
    LeadingSystemRule.objects.create(domain="products", connection=erp)
    Conflict.objects.create(
        connection=shop, content_type_id=1, object_id=str(warehouse.pk), domain="products",
        field_group="texts", field="name", current_value="ERP name", incoming_value="Shop name", leading_connection=erp,
    )

    html = staff_client.get(reverse("admin:integrations_conflict_changelist")).content.decode()

    assert "ERP name" in html
    assert "Shop name" in html


@responses.activate
def test_test_connection_action_reports_result(staff_client, shop, erp):
    responses.get(f"{BASE_URL}/ping", json={})
    responses.get("http://erp.invalid/api/ping", status=401)

    response = staff_client.post(
        reverse("admin:integrations_connection_changelist"),
        {"action": "test_connection", "_selected_action": [shop.pk, erp.pk]},
        follow=True,
    )

    texts = [str(message) for message in response.context["messages"]]
    assert "Shop: pong" in texts
    assert any(text.startswith("Erp: ") and "rejected the credentials" in text for text in texts)


def test_credentials_not_in_admin_pages(staff_client, shop):
    secrets = ["tok-shop-0123456789", "whsec-shop-secret"]

    change = staff_client.get(reverse("admin:integrations_connection_change", args=[shop.pk])).content.decode()
    listing = staff_client.get(reverse("admin:integrations_connection_changelist")).content.decode()

    for secret in secrets:
        assert secret not in change
        assert secret not in listing
    assert shop.credentials_encrypted not in change
    assert "Stored. Leave empty to keep it." in change


def test_connection_form_keeps_secret_when_left_empty(staff_client, shop):
    response = staff_client.post(
        reverse("admin:integrations_connection_change", args=[shop.pk]),
        {
            "kind": "testshop", "name": "Shop", "slug": "shop", "base_url": BASE_URL, "enabled": "on",
            "time_zone": "UTC", "rate_limit_per_second": "5", "rate_limit_burst": "10",
            "credential_api_token": "tok-new-9876543210", "credential_webhook_secret": "",
            "entities-TOTAL_FORMS": "0", "entities-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    shop.refresh_from_db()
    assert shop.credentials == {"api_token": "tok-new-9876543210", "webhook_secret": "whsec-shop-secret"}


def test_sync_error_message_in_german_admin(staff_client, shop):
    from integrations.itemerrors import MappingMissing

    error = MappingMissing(kind="category mapping", kinds="Category mappings", value="shoes", connection=shop.name)
    sync_error = record_sync_error(shop, "inbound", error, entity="categories", external_id="shoes")

    listing = staff_client.get(reverse("admin:integrations_syncerror_changelist"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    detail = staff_client.get(reverse("admin:integrations_syncerror_change", args=[sync_error.pk]), HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert "Keine category mapping für den Wert &quot;shoes&quot;" in listing
    assert "Keine category mapping für den Wert &quot;shoes&quot;" in detail
    assert "No category mapping" not in listing
