"""Retry checks before a bulk retry: price_missing errors held back, counted, in few queries."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from catalog.models import Channel, Price, PriceList, Product
from integrations.models import Connection, OutboundMessage, OutboundState, SyncError
from integrations.services import retrychecks
from integrations.services.syncruns import retry_sync_error_batch
from integrations.shopware.mappers import MissingPrice

pytestmark = pytest.mark.django_db

HELD_BACK_EN = (
    "{count} sync errors were not queued, because their products still have no price that is valid now in the "
    "currency the shop needs, for the connection's sales channel. Add the prices in the PIM or in Kontor first, "
    "then retry."
)
HELD_BACK_DE = (
    "{count} Synchronisationsfehler wurden nicht eingereiht, weil ihre Artikel für den Verkaufskanal der "
    "Verbindung noch immer keinen jetzt gültigen Preis in der Währung haben, die der Shop braucht. Legen Sie "
    "die Preise zuerst im PIM oder in Kontor an und versuchen Sie es dann erneut."
)


@pytest.fixture
def queued(monkeypatch):
    """Record the tasks that the retry queues instead of sending them to a broker."""
    calls = []
    monkeypatch.setattr("integrations.services.queue.async_task", lambda func, *args, cluster: calls.append((func, args, cluster)))
    return calls


@pytest.fixture
def shop():
    connection = Connection(kind="shopware", name="Shop DE", slug="shop-de", base_url="https://shop.example.com")
    connection.set_credentials({"access_key_id": "SWIA-KEY-1", "secret_access_key": "secret-1", "shop_secret": "shop-secret-1"})
    connection.save()
    return connection


@pytest.fixture
def channel():
    return Channel.objects.create(code="shop-de", name="Shop DE", currencies=["EUR"])


@pytest.fixture
def price_list():
    return PriceList.objects.create(code="retail", name="Retail")


def unpriced_errors(connection, count, *, prefix="NP", currency="EUR", code="price_missing"):
    """Create `count` products with a failed product push and its sync error; return the products.

    The outbound message stores the error as the catalog push does (str of the ItemError).
    """
    products = Product.objects.bulk_create([Product(sku=f"{prefix}-{index:05d}") for index in range(count)])
    product_type = ContentType.objects.get_for_model(Product)
    messages = OutboundMessage.objects.bulk_create([
        OutboundMessage(
            connection=connection, entity="products", content_type=product_type, object_id=str(product.pk),
            payload={"sku": product.sku}, fingerprint="0" * 64, idempotency_key=uuid.uuid4().hex, lane="master",
            state=OutboundState.FAILED, attempts=1, next_attempt_at=timezone.now(), error_code=code,
            last_error=str(MissingPrice(sku=product.sku, currency=currency, price_list="")),
        )
        for product in products
    ])
    SyncError.objects.bulk_create([
        SyncError(
            connection=connection, direction="outbound", entity="products", content_type=product_type,
            object_id=str(product.pk), external_id=product.sku, code=code, message="no price", outbound_message=message,
        )
        for product, message in zip(products, messages, strict=True)
    ])
    return products


def add_price(product, price_list, currency="EUR", **fields):
    return Price.objects.create(product=product, price_list=price_list, currency=currency, amount=Decimal("9.90"), **fields)


def states_by_sku():
    return dict(OutboundMessage.objects.values_list("payload__sku", "state"))


def test_unpriced_errors_held_back(shop, channel, price_list, queued, django_capture_on_commit_callbacks):
    products = unpriced_errors(shop, 3)
    add_price(products[0], price_list)

    with django_capture_on_commit_callbacks(execute=True):
        outcome = retry_sync_error_batch(SyncError.objects.all())

    assert outcome.queued == 1
    assert outcome.held_back == {"price_missing": 2}
    assert outcome.skipped == 0
    message_id = OutboundMessage.objects.get(payload__sku="NP-00000").pk
    assert queued == [("integrations.tasks.deliver_outbound_message", (message_id,), "master")]
    assert states_by_sku() == {"NP-00000": OutboundState.PENDING, "NP-00001": OutboundState.FAILED, "NP-00002": OutboundState.FAILED}
    assert SyncError.objects.filter(next_retry_at__isnull=False).count() == 1


@pytest.mark.parametrize(
    ("price", "retried"),
    [
        ({}, True),
        ({"on_channel": True}, True),
        ({"currency": "USD"}, False),
        ({"on_other_channel": True}, False),
        ({"valid_from": timedelta(days=1)}, False),
        ({"valid_until": -timedelta(days=1)}, False),
        ({"valid_from": -timedelta(days=1), "valid_until": timedelta(days=1)}, True),
    ],
    ids=["general", "own channel", "other currency", "other channel", "starts tomorrow", "ended yesterday", "in window"],
)
def test_price_condition_matches_push(shop, channel, price_list, queued, price, retried):
    [product] = unpriced_errors(shop, 1)
    fields = {"currency": price.get("currency", "EUR")}
    if price.get("on_channel"):
        fields["channel"] = channel
    if price.get("on_other_channel"):
        fields["channel"] = Channel.objects.create(code="marketplace", name="Marketplace")
    for name in ("valid_from", "valid_until"):
        if name in price:
            fields[name] = timezone.now() + price[name]
    add_price(product, price_list, **fields)

    outcome = retry_sync_error_batch(SyncError.objects.all())

    assert outcome.queued == (1 if retried else 0)
    assert outcome.held_back == ({} if retried else {"price_missing": 1})


def test_error_currency_decides(shop, channel, price_list, queued):
    [product] = unpriced_errors(shop, 1, currency="CHF")
    add_price(product, price_list, currency="EUR")

    outcome = retry_sync_error_batch(SyncError.objects.all())

    # The shop's default currency named in the error is CHF, so a EUR price does not help.
    assert outcome.held_back == {"price_missing": 1}
    assert outcome.queued == 0


def test_channel_setting_names_channel(shop, channel, price_list, queued):
    shop.set_credentials({**shop.credentials, "channel": "b2b"})
    shop.save()
    b2b = Channel.objects.create(code="b2b", name="B2B")
    [on_b2b, on_slug_channel] = unpriced_errors(shop, 2)
    add_price(on_b2b, price_list, channel=b2b)
    add_price(on_slug_channel, price_list, channel=channel)

    outcome = retry_sync_error_batch(SyncError.objects.all())

    assert outcome.queued == 1
    assert states_by_sku()["NP-00000"] == OutboundState.PENDING
    assert states_by_sku()["NP-00001"] == OutboundState.FAILED


def test_deleted_product_retried(shop, channel, queued):
    [product] = unpriced_errors(shop, 1)
    Product.objects.filter(pk=product.pk).delete()

    outcome = retry_sync_error_batch(SyncError.objects.all())

    # The delivery skips a deleted record and resolves the error.
    assert outcome.queued == 1
    assert outcome.held_back == {}


def test_other_codes_retried_as_before(shop, channel, queued):
    unpriced_errors(shop, 2, code="validation_failed")

    outcome = retry_sync_error_batch(SyncError.objects.all())

    assert outcome.queued == 2
    assert outcome.held_back == {}


def test_unreadable_currency_needs_any_price(shop, channel, price_list, queued):
    [priced, unpriced] = unpriced_errors(shop, 2)
    OutboundMessage.objects.update(last_error="rejected by an older Kontor")
    add_price(priced, price_list, currency="USD")

    outcome = retry_sync_error_batch(SyncError.objects.all())

    assert outcome.queued == 1
    assert outcome.held_back == {"price_missing": 1}
    assert states_by_sku()[unpriced.sku] == OutboundState.FAILED


def test_check_queries_do_not_grow(shop, channel, queued):
    unpriced_errors(shop, 10, prefix="FEW")
    with CaptureQueriesContext(db_connection) as few:
        few_outcome = retry_sync_error_batch(SyncError.objects.all())
    SyncError.objects.all().delete()
    OutboundMessage.objects.all().delete()

    unpriced_errors(shop, 1000, prefix="MANY")
    with CaptureQueriesContext(db_connection) as many:
        many_outcome = retry_sync_error_batch(SyncError.objects.all())

    assert few_outcome.held_back == {"price_missing": 10}
    assert many_outcome.held_back == {"price_missing": 1000}
    assert many_outcome.queued == 0
    # The errors with their connections and messages, the content type, then the channel,
    # the products and their prices.
    assert len(many.captured_queries) <= 5
    assert len(many.captured_queries) == len(few.captured_queries)


def test_retry_matching_reports_counts(staff_client, shop, channel, price_list, queued, django_capture_on_commit_callbacks):
    products = unpriced_errors(shop, 1052)
    for product in products[:12]:
        add_price(product, price_list)

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("admin:integrations_syncerror_retry_matching"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302
    [message] = get_messages(response.wsgi_request)
    assert message.level_tag == "warning"
    assert str(message) == "12 items queued for retry. " + HELD_BACK_EN.format(count="1,040")
    assert len(queued) == 12
    assert OutboundMessage.objects.filter(state=OutboundState.FAILED).count() == 1040


def test_retry_matching_message_in_german(staff_client, shop, channel, queued):
    unpriced_errors(shop, 1001)
    SyncError.objects.create(connection=shop, direction="inbound", code="akeneo_invalid_gtin", message="GTIN")

    with translation.override("de"):
        response = staff_client.post(reverse("admin:integrations_syncerror_retry_matching"), HTTP_ACCEPT_LANGUAGE="de")

    [message] = get_messages(response.wsgi_request)
    assert str(message) == (
        "0 Einträge zum erneuten Versuch eingereiht. " + HELD_BACK_DE.format(count="1.001") + " 1 Synchronisationsfehler "
        "wurde übersprungen, weil zu ihm kein gespeichertes Webhook-Ereignis und keine ausgehende Nachricht vorliegt, "
        "die erneut gesendet werden könnte. Beheben Sie die Ursache und führen Sie den Import oder die Synchronisation "
        "erneut aus."
    )
    assert queued == []


def test_retry_action_holds_back(staff_client, shop, channel, price_list, queued, django_capture_on_commit_callbacks):
    products = unpriced_errors(shop, 2)
    add_price(products[1], price_list)
    selected = SyncError.objects.values_list("pk", flat=True)

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:integrations_syncerror_changelist"),
            {"action": "retry", "_selected_action": list(selected)},
            HTTP_ACCEPT_LANGUAGE="en",
        )

    [message] = get_messages(response.wsgi_request)
    assert str(message) == (
        "1 item queued for retry. 1 sync error was not queued, because its product still has no price that is valid "
        "now in the currency the shop needs, for the connection's sales channel. Add the price in the PIM or in "
        "Kontor first, then retry."
    )
    assert states_by_sku() == {"NP-00000": OutboundState.FAILED, "NP-00001": OutboundState.PENDING}


def test_registered_check_sees_whole_batch(shop, channel, queued, monkeypatch):
    monkeypatch.setattr(retrychecks, "_checks", dict(retrychecks._checks))
    calls = []

    def find_unchanged(errors):
        calls.append(sorted(error.external_id for error in errors))
        return {error.pk for error in errors if error.external_id.endswith("1")}

    retrychecks.register_retry_check("stock_missing", find_unchanged, lambda count: f"{count} held back for stock")
    unpriced_errors(shop, 3, code="stock_missing")

    outcome = retry_sync_error_batch(SyncError.objects.all())

    assert calls == [["NP-00000", "NP-00001", "NP-00002"]]
    assert outcome.held_back == {"stock_missing": 1}
    assert outcome.queued == 2
    assert retrychecks.held_back_messages(outcome.held_back) == ["1 held back for stock"]
