"""A sync error counts every try of its item, including the tries after each Retry."""

import re

import pytest
import responses
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from catalog.models import Warehouse
from integrations.itemerrors import MappingMissing
from integrations.models import InboundEvent, InboundSource, InboundState, OutboundState, SyncError
from integrations.registry import InboundItem
from integrations.services.delivery import deliver_message
from integrations.services.inbox import process_inbound_event, store_inbound_items
from integrations.services.outbox import enqueue_outbound
from integrations.tasks import deliver_outbound_message
from tests.integrations.framework.conftest import BASE_URL
from tests.integrations.framework.testshop import TestShopConnector

pytestmark = pytest.mark.django_db


def failed_message(warehouse):
    """Queue a product message that the shop rejects with 404, which is not retried, and send it once."""
    responses.put(f"{BASE_URL}/products/{warehouse.pk}", status=404)
    with transaction.atomic():
        (message,) = enqueue_outbound(warehouse, "products", {"name": warehouse.name})
    assert deliver_message(message.pk) == OutboundState.FAILED
    return message


def press_retry(staff_client, sync_error, django_capture_on_commit_callbacks):
    """Press Retry on the error's change page, as support does."""
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("admin:integrations_syncerror_retry_one", args=[sync_error.pk]))
    assert response.status_code == 302


def attempts_shown(staff_client, sync_error, language="en"):
    """Return the label and the value of the attempts field on the error's change page."""
    with translation.override(language):
        html = staff_client.get(
            reverse("admin:integrations_syncerror_change", args=[sync_error.pk]), HTTP_ACCEPT_LANGUAGE=language
        ).content.decode()
    match = re.search(
        r'field-attempts">.*?<label>([^<]*)</label>\s*<div class="readonly">([^<]*)</div>', html, re.DOTALL
    )
    assert match is not None, "the change page has no attempts field"
    return match.group(1), match.group(2).strip()


@responses.activate
def test_outbound_retry_failing_again_counts(staff_client, shop, queued, django_capture_on_commit_callbacks):
    # given an outbound message that failed on its first and only attempt
    message = failed_message(Warehouse.objects.create(code="W1", name="Main"))
    sync_error = SyncError.objects.get()
    assert sync_error.attempts == 1

    # when support presses Retry and the shop rejects the message again
    press_retry(staff_client, sync_error, django_capture_on_commit_callbacks)
    (task,) = queued
    deliver_outbound_message(*task[1])

    # then the one open error counts both tries, in the database and on its page
    message.refresh_from_db()
    assert message.state == OutboundState.FAILED
    assert SyncError.objects.count() == 1
    sync_error.refresh_from_db()
    assert sync_error.attempts == 2
    assert sync_error.resolved is False
    assert sync_error.next_retry_at is None
    assert attempts_shown(staff_client, sync_error) == ("Attempts:", "2")
    assert attempts_shown(staff_client, sync_error, "de") == ("Versuche:", "2")


@responses.activate
def test_outbound_third_try_counts_three(staff_client, shop, queued, django_capture_on_commit_callbacks):
    # given an outbound message that failed, was retried and failed again
    failed_message(Warehouse.objects.create(code="W1", name="Main"))
    sync_error = SyncError.objects.get()
    press_retry(staff_client, sync_error, django_capture_on_commit_callbacks)
    deliver_outbound_message(*queued[0][1])

    # when support retries it a second time and it fails once more
    press_retry(staff_client, sync_error, django_capture_on_commit_callbacks)
    deliver_outbound_message(*queued[1][1])

    # then the error counts three tries
    assert len(queued) == 2
    assert SyncError.objects.count() == 1
    sync_error.refresh_from_db()
    assert sync_error.attempts == 3
    assert attempts_shown(staff_client, sync_error) == ("Attempts:", "3")


@responses.activate
def test_outbound_retry_succeeding_keeps_count(staff_client, shop, queued, django_capture_on_commit_callbacks):
    # given an outbound message that failed once
    warehouse = Warehouse.objects.create(code="W1", name="Main")
    message = failed_message(warehouse)
    sync_error = SyncError.objects.get()

    # when support retries it and the shop accepts it
    responses.replace(responses.PUT, f"{BASE_URL}/products/{warehouse.pk}", status=200)
    press_retry(staff_client, sync_error, django_capture_on_commit_callbacks)
    deliver_outbound_message(*queued[0][1])

    # then the error is resolved and still shows the one failed try
    message.refresh_from_db()
    assert message.state == OutboundState.DELIVERED
    sync_error.refresh_from_db()
    assert sync_error.resolved is True
    assert sync_error.attempts == 1


def test_inbound_retry_failing_again_counts(staff_client, shop, queued, monkeypatch, django_capture_on_commit_callbacks):
    # given a webhook event that failed on a missing mapping, which is not retried
    def process_inbound(self, event):
        raise MappingMissing(kind="category mapping", kinds="category mappings", value="shoes", connection="Shop")

    monkeypatch.setattr(TestShopConnector, "process_inbound", process_inbound)
    item = InboundItem(entity="products", external_id="W1", dedup_key="products:W1:1", payload={"name": "Main"})
    (event_id,) = store_inbound_items(shop, [item], source=InboundSource.WEBHOOK)
    process_inbound_event(event_id)
    sync_error = SyncError.objects.get()
    assert sync_error.attempts == 1

    # when support presses Retry and the mapping is still missing
    queued.clear()
    press_retry(staff_client, sync_error, django_capture_on_commit_callbacks)
    ((task_path, task_args, _lane),) = queued
    assert task_path == "integrations.tasks.process_inbound_event"
    process_inbound_event(*task_args)

    # then the one open error counts both tries
    assert InboundEvent.objects.get(pk=event_id).state == InboundState.FAILED
    assert SyncError.objects.count() == 1
    sync_error.refresh_from_db()
    assert sync_error.attempts == 2
    assert sync_error.resolved is False
    assert attempts_shown(staff_client, sync_error) == ("Attempts:", "2")
