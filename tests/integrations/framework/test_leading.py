import pytest
from django.db import transaction

from catalog.models import Warehouse
from integrations.itemerrors import NoLeadingSystem
from integrations.models import (
    Conflict,
    InboundSource,
    InboundState,
    LeadingSystemRule,
    OutboundMessage,
    SyncError,
)
from integrations.registry import InboundItem
from integrations.services.bindings import bind
from integrations.services.inbox import process_inbound_event, store_inbound_items
from integrations.services.leading import apply_inbound_changes

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse(db):
    return Warehouse.objects.create(code="W1", name="Main", is_active=True)


def test_non_leading_change_stored_as_conflict(shop, erp, warehouse):
    LeadingSystemRule.objects.create(domain="products", connection=erp)

    allowed = apply_inbound_changes(shop, "products", warehouse, {"texts": {"name": "Shop name"}})

    assert allowed == {}
    conflict = Conflict.objects.get()
    assert conflict.connection == shop
    assert conflict.leading_connection == erp
    assert conflict.field == "name"
    assert conflict.field_group == "texts"
    assert conflict.current_value == "Main"
    assert conflict.incoming_value == "Shop name"
    assert conflict.object_id == str(warehouse.pk)


def test_field_group_rule_narrows_domain_rule(shop, erp, warehouse):
    LeadingSystemRule.objects.create(domain="products", connection=erp)
    LeadingSystemRule.objects.create(domain="products", field_group="texts", connection=shop)

    allowed = apply_inbound_changes(
        shop, "products", warehouse, {"texts": {"name": "Shop name"}, "attributes": {"is_active": False}}
    )

    assert allowed == {"texts": {"name": "Shop name"}}
    assert list(Conflict.objects.values_list("field", flat=True)) == ["is_active"]


def test_unchanged_value_neither_applied_nor_conflict(shop, erp, warehouse):
    LeadingSystemRule.objects.create(domain="products", connection=erp)

    allowed = apply_inbound_changes(shop, "products", warehouse, {"texts": {"name": "Main"}})

    assert allowed == {}
    assert Conflict.objects.count() == 0


def test_no_rule_rejects_with_named_domain(shop, warehouse):
    with pytest.raises(NoLeadingSystem) as raised:
        apply_inbound_changes(shop, "products", warehouse, {"texts": {"name": "X"}})

    assert "No leading system is set for products" in raised.value.support_message
    assert "Shop" in raised.value.support_message


def test_inbound_event_from_non_leader_not_applied(shop, erp, warehouse):
    # The shop already knows W1, and the ERP leads products.
    LeadingSystemRule.objects.create(domain="products", connection=erp)
    bind(shop, warehouse, "W1")
    item = InboundItem("products", "W1", "products:W1:1", {"id": "W1", "name": "Renamed in shop", "updated_at": "2026-05-01T10:00:00"})
    with transaction.atomic():
        (event_id,) = store_inbound_items(shop, [item], source=InboundSource.WEBHOOK)

    event = process_inbound_event(event_id)

    warehouse.refresh_from_db()
    assert warehouse.name == "Main"
    assert event.state == InboundState.PROCESSED
    assert event.outcome == "skipped"
    assert Conflict.objects.get().incoming_value == "Renamed in shop"
    assert OutboundMessage.objects.count() == 0


def test_inbound_event_without_rule_becomes_sync_error(shop):
    item = InboundItem("products", "W1", "products:W1:1", {"id": "W1", "name": "X", "updated_at": "2026-05-01T10:00:00"})
    with transaction.atomic():
        (event_id,) = store_inbound_items(shop, [item], source=InboundSource.WEBHOOK)

    event = process_inbound_event(event_id)

    assert event.state == InboundState.FAILED
    error = SyncError.objects.get()
    assert error.code == "no_leading_system"
    assert error.inbound_event_id == event_id
    assert error.external_id == "W1"
    # The savepoint rolled back the record the hook created before it failed.
    assert not Warehouse.objects.exists()
