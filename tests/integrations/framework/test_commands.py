from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import responses
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from catalog.models import Warehouse
from integrations.models import (
    InboundEvent,
    InboundState,
    LeadingSystemRule,
    OutboundMessage,
    OutboundState,
    SyncRun,
)
from integrations.services.outbox import enqueue_outbound
from integrations.tasks import sweep
from tests.integrations.framework.conftest import BASE_URL
from tests.integrations.framework.fakeremote import FakeShopApi

pytestmark = pytest.mark.django_db


@responses.activate
def test_sync_pull_runs_in_foreground(shop):
    LeadingSystemRule.objects.create(domain="products", connection=shop)
    remote = FakeShopApi(BASE_URL, "products")
    for number, item_id in enumerate("ABCD", start=1):
        remote.put(item_id, datetime(2026, 5, 1, 10, number, tzinfo=UTC), name=f"Store {item_id}")
    remote.install()
    out, err = StringIO(), StringIO()

    call_command("sync", "shop", "--entity", "products", stdout=out, stderr=err)

    assert set(InboundEvent.objects.values_list("state", flat=True)) == {InboundState.PROCESSED}
    assert sorted(Warehouse.objects.values_list("name", flat=True)) == ["Store A", "Store B", "Store C", "Store D"]
    run = SyncRun.objects.get()
    assert (run.read_count, run.created_count, run.failed_count) == (4, 4, 0)
    assert "read 4, created 4, updated 0, skipped 0, failed 0" in out.getvalue()
    assert "4/" in err.getvalue() or "4 items" in err.getvalue()


@responses.activate
def test_sync_push_delivers_due_messages(shop):
    warehouse = Warehouse.objects.create(code="W1", name="Main")
    responses.put(f"{BASE_URL}/products/{warehouse.pk}")
    with transaction.atomic():
        enqueue_outbound(warehouse, "products", {"name": "Main"})
    out = StringIO()

    call_command("sync", "shop", "--direction", "push", stdout=out, stderr=StringIO())

    assert OutboundMessage.objects.get().state == OutboundState.DELIVERED
    assert "read 1, created 0, updated 1" in out.getvalue()


def test_sync_unknown_connection_lists_slugs(shop):
    with pytest.raises(CommandError, match="No connection with the slug 'nope'. Existing slugs: shop."):
        call_command("sync", "nope")


def test_sync_entity_connector_cannot_pull_named(shop):
    with pytest.raises(CommandError, match="cannot pull customers. It pulls: products, stock."):
        call_command("sync", "shop", "--entity", "customers", stdout=StringIO(), stderr=StringIO())

    assert SyncRun.objects.count() == 0


@responses.activate
def test_sync_pull_with_failed_item_exits_non_zero(shop):
    # No leading-system rule for products: the pulled item fails, so the run is not a success.
    remote = FakeShopApi(BASE_URL, "products")
    remote.put("A", datetime(2026, 5, 1, 10, 1, tzinfo=UTC), name="Store A")
    remote.install()

    with pytest.raises(CommandError, match="1 of 1 runs did not succeed"):
        call_command("sync", "shop", "--entity", "products", stdout=StringIO(), stderr=StringIO())

    assert SyncRun.objects.get().failed_count == 1


def test_sweep_requeues_due_retry_and_expired_lease(shop, queued, django_capture_on_commit_callbacks):
    warehouse = Warehouse.objects.create(code="W1", name="Main")
    with transaction.atomic():
        due, leased, later = (enqueue_outbound(warehouse, "stock", {"quantity": n})[0] for n in range(3))
    past = timezone.now() - timedelta(seconds=5)
    OutboundMessage.objects.filter(pk=due.pk).update(state=OutboundState.PENDING, next_attempt_at=past)
    OutboundMessage.objects.filter(pk=leased.pk).update(state=OutboundState.IN_FLIGHT, lease_expires_at=past)
    OutboundMessage.objects.filter(pk=later.pk).update(state=OutboundState.PENDING, next_attempt_at=timezone.now() + timedelta(minutes=5))
    queued.clear()

    with django_capture_on_commit_callbacks(execute=True):
        counts = sweep()

    # One batch task claims both, rather than one task per message.
    assert counts["outbound"] == 2
    assert queued == [("integrations.tasks.deliver_due_messages", (due.lane,), due.lane)]
