"""The sync error's own page: its Retry button runs the retry checks, and it has no save buttons."""

import uuid
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation

from catalog.models import Channel, Price, PriceList, Product
from integrations.models import Connection, OutboundMessage, OutboundState, SyncError
from integrations.shopware.mappers import MissingPrice

pytestmark = pytest.mark.django_db

HELD_BACK_EN = (
    "1 sync error was not queued, because its product still has no price that is valid now in the currency "
    "the shop needs, for the connection's sales channel. Add the price in the PIM or in Kontor first, then retry."
)
HELD_BACK_DE = (
    "1 Synchronisationsfehler wurde nicht eingereiht, weil sein Artikel für den Verkaufskanal der Verbindung "
    "noch immer keinen jetzt gültigen Preis in der Währung hat, die der Shop braucht. Legen Sie den Preis "
    "zuerst im PIM oder in Kontor an und versuchen Sie es dann erneut."
)


@pytest.fixture
def queued(monkeypatch):
    """Record the tasks that a retry queues instead of sending them to a broker."""
    calls = []
    monkeypatch.setattr("integrations.services.queue.async_task", lambda func, *args, cluster: calls.append((func, args, cluster)))
    return calls


@pytest.fixture
def unpriced_error():
    """Return the sync error of a product push that failed because the product has no EUR price."""
    shop = Connection(kind="shopware", name="Shop DE", slug="shop-de", base_url="https://shop.example.com")
    shop.set_credentials({"access_key_id": "SWIA-KEY-1", "secret_access_key": "secret-1", "shop_secret": "shop-secret-1"})
    shop.save()
    Channel.objects.create(code="shop-de", name="Shop DE", currencies=["EUR"])
    product = Product.objects.create(sku="NP-1")
    product_type = ContentType.objects.get_for_model(Product)
    message = OutboundMessage.objects.create(
        connection=shop, entity="products", content_type=product_type, object_id=str(product.pk),
        payload={"sku": product.sku}, fingerprint="0" * 64, idempotency_key=uuid.uuid4().hex, lane="master",
        state=OutboundState.FAILED, attempts=1, next_attempt_at=timezone.now(), error_code="price_missing",
        last_error=str(MissingPrice(sku=product.sku, currency="EUR", price_list="")),
    )
    return SyncError.objects.create(
        connection=shop, direction="outbound", entity="products", content_type=product_type,
        object_id=str(product.pk), external_id=product.sku, code="price_missing", message="no price",
        outbound_message=message,
    )


def press_retry(client, sync_error, language):
    with translation.override(language):
        return client.post(
            reverse("admin:integrations_syncerror_retry_one", args=[sync_error.pk]), HTTP_ACCEPT_LANGUAGE=language
        )


def message_state(sync_error):
    return OutboundMessage.objects.get(pk=sync_error.outbound_message_id).state


@pytest.mark.parametrize(("language", "expected"), [("en", HELD_BACK_EN), ("de", HELD_BACK_DE)])
def test_retry_button_runs_check(staff_client, unpriced_error, queued, language, expected):
    response = press_retry(staff_client, unpriced_error, language)

    assert response.status_code == 302
    [message] = get_messages(response.wsgi_request)
    assert message.level_tag == "warning"
    assert str(message) == expected
    assert queued == []
    assert message_state(unpriced_error) == OutboundState.FAILED
    assert SyncError.objects.get(pk=unpriced_error.pk).next_retry_at is None


def test_retry_button_matches_list_action(staff_client, unpriced_error, queued):
    list_response = staff_client.post(
        reverse("admin:integrations_syncerror_changelist"),
        {"action": "retry", "_selected_action": [unpriced_error.pk]},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    list_state = message_state(unpriced_error)

    button_response = press_retry(staff_client, unpriced_error, "en")

    [list_message] = get_messages(list_response.wsgi_request)
    # The session still contains the list's message, which no page has shown yet.
    *_shown_before, button_message = get_messages(button_response.wsgi_request)
    assert list_state == OutboundState.FAILED
    assert message_state(unpriced_error) == list_state
    assert str(list_message) == "0 items queued for retry. " + HELD_BACK_EN
    assert str(button_message) == HELD_BACK_EN
    assert queued == []


def test_retry_button_queues_once_priced(staff_client, unpriced_error, queued, django_capture_on_commit_callbacks):
    product = Product.objects.get(sku="NP-1")
    Price.objects.create(
        product=product, price_list=PriceList.objects.create(code="retail", name="Retail"), currency="EUR", amount=Decimal("9.90")
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = press_retry(staff_client, unpriced_error, "en")

    [message] = get_messages(response.wsgi_request)
    assert message.level_tag == "success"
    assert str(message) == "1 item queued for retry."
    assert queued == [("integrations.tasks.deliver_outbound_message", (unpriced_error.outbound_message_id,), "master")]
    assert message_state(unpriced_error) == OutboundState.PENDING


@pytest.mark.parametrize("language", ["en", "de"])
def test_change_page_without_save_buttons(staff_client, unpriced_error, language):
    with translation.override(language):
        html = staff_client.get(
            reverse("admin:integrations_syncerror_change", args=[unpriced_error.pk]), HTTP_ACCEPT_LANGUAGE=language
        ).content.decode()

    assert 'name="_save"' not in html
    assert 'name="_continue"' not in html
    assert 'name="_addanother"' not in html
    assert reverse("admin:integrations_syncerror_retry_one", args=[unpriced_error.pk]) in html
