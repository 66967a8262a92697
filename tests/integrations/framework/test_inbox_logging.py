"""Log levels of the inbox: expected failures, bugs and dropped duplicates."""

import logging

import pytest

from integrations.errors import AuthError
from integrations.itemerrors import MappingMissing
from integrations.models import InboundEvent, InboundSource, InboundState, SyncError
from integrations.registry import InboundItem
from integrations.services.inbox import process_inbound_event, store_inbound_items
from integrations.shopware.order_mapper import OrderRejected
from tests.integrations.framework.testshop import TestShopConnector

pytestmark = pytest.mark.django_db

LOGGERS = ("integrations.services.inbox", "integrations.services.syncruns")


def stored_event(shop):
    item = InboundItem(entity="products", external_id="W1", dedup_key="products:W1:1", payload={"name": "Main"})
    (event_id,) = store_inbound_items(shop, [item], source=InboundSource.WEBHOOK)
    return event_id


def fail_with(monkeypatch, error):
    def process_inbound(self, event):
        raise error

    monkeypatch.setattr(TestShopConnector, "process_inbound", process_inbound)


def inbox_records(caplog):
    return [record for record in caplog.records if record.name in LOGGERS]


@pytest.mark.parametrize(
    "error",
    [
        OrderRejected(number="10042", problems="currency: USD is not sold in this channel"),
        MappingMissing(kind="category mapping", kinds="category mappings", value="shoes", connection="Shop"),
        AuthError("401 from shop", connection="Shop", status=401),
    ],
    ids=["order_rejected", "mapping_missing", "auth_failed"],
)
def test_expected_failure_one_warning(shop, queued, monkeypatch, caplog, error):
    event_id = stored_event(shop)
    fail_with(monkeypatch, error)

    with caplog.at_level(logging.DEBUG, logger="integrations"):
        process_inbound_event(event_id)

    (record,) = inbox_records(caplog)
    assert record.levelno == logging.WARNING
    assert record.message == "sync error recorded"
    assert record.exc_info is None
    assert record.code == error.code
    assert record.inbound_event_id == event_id
    assert record.connection_id == shop.pk
    assert InboundEvent.objects.get(pk=event_id).state == InboundState.FAILED
    assert SyncError.objects.get(inbound_event_id=event_id).code == error.code


def test_unexpected_failure_error_with_traceback(shop, queued, monkeypatch, caplog):
    event_id = stored_event(shop)
    fail_with(monkeypatch, KeyError("name"))

    with caplog.at_level(logging.DEBUG, logger="integrations"):
        process_inbound_event(event_id)

    failed = [record for record in inbox_records(caplog) if record.message == "inbound event failed"]
    (record,) = failed
    assert record.levelno == logging.ERROR
    assert record.exc_info[0] is KeyError
    assert record.inbound_event_id == event_id
    assert record.connection_id == shop.pk
    assert SyncError.objects.get(inbound_event_id=event_id).code == "internal_error"


def test_duplicate_dropped_logged_at_debug(shop, queued, caplog):
    stored_event(shop)

    with caplog.at_level(logging.DEBUG, logger="integrations"):
        assert store_inbound_items(
            shop,
            [InboundItem(entity="products", external_id="W1", dedup_key="products:W1:1", payload={"name": "Main"})],
            source=InboundSource.PULL,
        ) == []

    (record,) = [record for record in caplog.records if record.message == "inbound duplicate dropped"]
    assert record.levelno == logging.DEBUG
    assert record.connection_id == shop.pk
    assert record.dedup_key == "products:W1:1"
