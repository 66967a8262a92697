import json
import logging

import pytest

from catalog.models import Warehouse
from integrations.models import InboundEvent, InboundState
from integrations.services.inbox import process_inbound_event
from tests.integrations.framework.conftest import make_connection
from tests.integrations.framework.intake_client import IntakeClient
from tests.integrations.framework.testshop import sign

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["django", "intake"])
def client(request, client):
    """Each test runs through Django's handler and through the WSGI intake that config.wsgi puts first."""
    return client if request.param == "django" else IntakeClient()


def event_body(*objects, event_type="products.updated"):
    return json.dumps({"events": [{"type": event_type, "object": obj} for obj in objects]}).encode()


def post_webhook(client, connection, body, *, signature=None, delivery="d-1", path=None, **extra):
    signature = signature if signature is not None else sign(connection.credentials["webhook_secret"], body)
    return client.post(
        path or f"/hooks/{connection.slug}/",
        data=body,
        content_type="application/json",
        HTTP_X_TESTSHOP_SIGNATURE=signature,
        HTTP_X_TESTSHOP_DELIVERY=delivery,
        **extra,
    )


def test_webhook_stored_and_queued(client, shop, queued, django_capture_on_commit_callbacks):
    body = event_body({"id": "W1", "name": "Main", "updated_at": "2026-05-01T10:00:00"})

    with django_capture_on_commit_callbacks(execute=True):
        response = post_webhook(client, shop, body)

    assert response.status_code == 200
    assert response.json() == {"received": 1, "stored": 1}
    event = InboundEvent.objects.get()
    assert event.connection == shop
    assert event.entity == "products"
    assert event.external_id == "W1"
    assert event.dedup_key == "products:W1:2026-05-01T10:00:00"
    assert event.state == InboundState.PENDING
    assert event.headers == {"X-Testshop-Delivery": "d-1"}
    assert event.payload == {"id": "W1", "name": "Main", "updated_at": "2026-05-01T10:00:00"}
    assert queued == [("integrations.tasks.process_inbound_event", (event.pk,), "master")]


def test_duplicate_webhook_dropped(client, shop, queued, django_capture_on_commit_callbacks):
    body = event_body({"id": "W1", "name": "Main", "updated_at": "2026-05-01T10:00:00"})

    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(client, shop, body, delivery="d-1")
        # The provider resends the same business event under a new delivery id.
        response = post_webhook(client, shop, body, delivery="d-2")

    assert response.status_code == 200
    assert response.json() == {"received": 1, "stored": 0}
    assert InboundEvent.objects.count() == 1
    assert len(queued) == 1


def test_same_dedup_key_other_connection_kept(client, shop, queued):
    other = make_connection("other-shop")
    body = event_body({"id": "W1", "name": "Main", "updated_at": "2026-05-01T10:00:00"})

    post_webhook(client, shop, body)
    post_webhook(client, other, body)

    assert InboundEvent.objects.count() == 2


def test_invalid_signature_rejected_without_body_in_log(client, shop, queued, caplog):
    body = event_body({"id": "W1", "name": "Secret Name 4711", "updated_at": "2026-05-01T10:00:00"})

    with caplog.at_level(logging.DEBUG):
        response = post_webhook(client, shop, body, signature="0" * 64)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_signature"
    assert InboundEvent.objects.count() == 0
    assert queued == []
    assert "webhook signature rejected" in caplog.messages
    assert "Secret Name 4711" not in caplog.text
    for record in caplog.records:
        assert "Secret Name 4711" not in json.dumps(vars(record), default=str)


def test_malformed_body_rejected(client, shop, queued):
    response = post_webhook(client, shop, b'{"events": [{"type": "products.updated"}]}')

    assert response.status_code == 400
    assert response.json()["error"] == "malformed_body"
    assert InboundEvent.objects.count() == 0


def test_body_over_limit_rejected(client, shop, queued, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 100
    body = event_body({"id": "W1", "name": "x" * 200, "updated_at": "2026-05-01T10:00:00"})

    response = post_webhook(client, shop, body)

    assert response.status_code == 413
    assert InboundEvent.objects.count() == 0


def test_unknown_or_disabled_connection_not_found(client, shop, queued):
    shop.enabled = False
    shop.save()
    body = event_body({"id": "W1", "name": "Main", "updated_at": "2026-05-01T10:00:00"})

    disabled = post_webhook(client, shop, body)
    unknown = client.post("/hooks/nope/", data=body, content_type="application/json")

    assert disabled.status_code == 404
    assert unknown.status_code == 404
    assert InboundEvent.objects.count() == 0


def test_get_not_allowed(client, shop):
    assert client.get(f"/hooks/{shop.slug}/").status_code == 405


def test_entity_in_url_must_be_known(client, shop, queued):
    body = event_body({"id": "W1", "name": "Main", "updated_at": "2026-05-01T10:00:00"})

    response = post_webhook(client, shop, body, path=f"/hooks/{shop.slug}/gadgets/")

    assert response.status_code == 404
    assert response.json()["error"] == "unknown_entity"


def test_stale_event_stored_answered_200_and_ignored(client, shop, shop_leads_products, queued):
    newer = event_body({"id": "W1", "name": "New name", "updated_at": "2026-05-01T11:00:00"})
    older = event_body({"id": "W1", "name": "Old name", "updated_at": "2026-05-01T10:00:00"})
    post_webhook(client, shop, newer)
    process_inbound_event(InboundEvent.objects.get().pk)

    response = post_webhook(client, shop, older)
    stale = InboundEvent.objects.get(version="2026-05-01T10:00:00")
    process_inbound_event(stale.pk)

    assert response.status_code == 200
    stale.refresh_from_db()
    assert stale.state == InboundState.IGNORED
    assert stale.outcome == "stale"
    assert Warehouse.objects.get(code="W1").name == "New name"


def test_nul_characters_dropped_and_event_kept(client, shop, queued):
    body = json.dumps({"events": [{"type": "products.updated", "object": {"id": "W\u00001", "name": "a\u0000b", "updated_at": "2026-05-01T10:00:00"}}]}).encode()

    response = post_webhook(client, shop, body)

    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert event.external_id == "W1"
    assert event.payload["name"] == "ab"


def test_overlong_external_id_rejected_as_malformed(client, shop, queued):
    body = event_body({"id": "X" * 300, "name": "Main", "updated_at": "2026-05-01T10:00:00"})

    response = post_webhook(client, shop, body)

    assert response.status_code == 400
    assert response.json()["error"] == "malformed_body"
    assert "255" in response.json()["message"]
    assert InboundEvent.objects.count() == 0


def test_wrongly_typed_field_rejected_as_malformed(client, shop, queued):
    body = json.dumps({"events": [{"type": 5, "object": {"id": "W1", "updated_at": "2026-05-01T10:00:00"}}]}).encode()

    response = post_webhook(client, shop, body)

    assert response.status_code == 400
    assert response.json()["error"] == "malformed_body"
    assert InboundEvent.objects.count() == 0


def test_deeply_nested_body_rejected_as_malformed(client, shop, queued):
    body = b"[" * 100_000 + b"]" * 100_000

    response = post_webhook(client, shop, body)

    assert response.status_code == 400
    assert InboundEvent.objects.count() == 0


def test_invalid_content_length_rejected(client, shop, queued):
    body = event_body({"id": "W1", "name": "Main", "updated_at": "2026-05-01T10:00:00"})

    response = post_webhook(client, shop, body, CONTENT_LENGTH="abc")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_content_length"
    assert "'abc'" in response.json()["message"]
    assert InboundEvent.objects.count() == 0
