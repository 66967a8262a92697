"""Bulk retry of price_missing errors from real catalog pushes: only products with a price go out again."""

from decimal import Decimal

import pytest

from integrations.models import OutboundMessage, OutboundState, SyncError
from integrations.sandbox import store
from integrations.services.delivery import deliver_message
from integrations.services.syncruns import retry_sync_error_batch
from integrations.shopware.tasks import push_catalog
from tests.factories import PriceFactory

pytestmark = pytest.mark.django_db


def test_push_errors_held_until_priced(sandbox, connection, make_product):
    late = make_product("LATE-1", gross=None)
    make_product("NEVER-1", gross=None)
    make_product("NEVER-2", gross=None)
    push_catalog(connection.pk)
    assert SyncError.objects.filter(code="price_missing", resolved=False).count() == 3

    first = retry_sync_error_batch(SyncError.objects.filter(code="price_missing"))
    PriceFactory(product=late, currency="EUR", amount=Decimal("4.20"))
    second = retry_sync_error_batch(SyncError.objects.filter(code="price_missing"))
    message = OutboundMessage.objects.get(state=OutboundState.PENDING)
    result = deliver_message(message.pk)

    assert (first.queued, first.held_back) == (0, {"price_missing": 3})
    assert (second.queued, second.held_back) == (1, {"price_missing": 2})
    assert message.payload == {"sku": "LATE-1"}
    assert result == OutboundState.DELIVERED
    assert store.find_by_natural_key("shopware", "product", "LATE-1").data["price"][0]["gross"] == 4.2
    assert sorted(SyncError.objects.filter(resolved=False).values_list("external_id", flat=True)) == ["NEVER-1", "NEVER-2"]


def test_push_error_needs_shop_currency(sandbox, connection, make_product):
    product = make_product("USD-ONLY", gross=None)
    push_catalog(connection.pk)
    PriceFactory(product=product, currency="USD", amount=Decimal("5.00"))

    outcome = retry_sync_error_batch(SyncError.objects.filter(code="price_missing"))

    # The sandbox shop's default currency is EUR, which the error names.
    assert outcome.queued == 0
    assert outcome.held_back == {"price_missing": 1}
