"""The lean WSGI intake: what it handles itself, what it passes to Django, and how it fails."""

import json
import logging

import pytest
from django.db import OperationalError
from django.test.utils import CaptureQueriesContext

from apiclients.asgi import CachedProductReads
from config.wsgi import application as wsgi_application
from integrations.models import InboundEvent
from tests.asgi_client import BridgedApp, send_requests
from tests.integrations.framework.intake_client import IntakeClient
from tests.integrations.framework.testshop import sign

pytestmark = pytest.mark.django_db


def body(name="Main", updated_at="2026-05-01T10:00:00"):
    return json.dumps({"events": [{"type": "products.updated", "object": {"id": "W1", "name": name, "updated_at": updated_at}}]}).encode()


def post(intake, connection, data, **extra):
    signature = sign(connection.credentials["webhook_secret"], data)
    return intake.post(f"/hooks/{connection.slug}/", data=data, HTTP_X_TESTSHOP_SIGNATURE=signature, HTTP_X_TESTSHOP_DELIVERY="d-1", **extra)


def test_response_json_with_request_id(shop, queued):
    response = post(IntakeClient(), shop, body(), HTTP_X_REQUEST_ID="support-4711")

    assert response.status_code == 200
    assert response.reason == "OK"
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Request-ID"] == "support-4711"
    assert int(response.headers["Content-Length"]) == len(response.content)
    assert response.json() == {"received": 1, "stored": 1}


def test_other_requests_reach_django(shop):
    intake = IntakeClient()

    admin = intake.get("/admin/login/")
    not_a_hook = intake.post("/hooks/", data=b"{}")

    assert admin.status_code == 200
    assert b"csrfmiddlewaretoken" in admin.content
    assert not_a_hook.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_webhook_through_asgi_entry_point(shop, queued):
    # config.asgi's composition: the product read path in front of the bridged WSGI application.
    app = BridgedApp(CachedProductReads, wsgi_application)
    data = body()
    signature = sign(shop.credentials["webhook_secret"], data)
    headers = {"X-Testshop-Signature": signature, "X-Testshop-Delivery": "d-asgi", "Content-Type": "application/json"}
    try:
        status, response_headers, content = send_requests(app.app, [("POST", f"/hooks/{shop.slug}/", headers, data)])[0]
    finally:
        app.close()

    assert status == 200
    assert json.loads(content) == {"received": 1, "stored": 1}
    assert len(response_headers["x-request-id"]) == 32
    assert InboundEvent.objects.filter(connection=shop).count() == 1


def test_kept_connection_row_saves_its_query(shop, queued):
    from django.db import connection

    intake = IntakeClient()
    post(intake, shop, body("first"))

    with CaptureQueriesContext(connection) as queries:
        response = post(intake, shop, body("second", updated_at="2026-05-01T11:00:00"))

    assert response.json() == {"received": 1, "stored": 1}
    assert [query["sql"].split()[0] for query in queries.captured_queries] == ["INSERT"]


def test_disabling_in_this_process_takes_effect_at_once(shop, queued):
    intake = IntakeClient()
    post(intake, shop, body("first"))

    shop.enabled = False
    shop.save()
    response = post(intake, shop, body("second", updated_at="2026-05-01T11:00:00"))

    assert response.status_code == 404
    assert InboundEvent.objects.count() == 1


def test_database_failure_returns_500(shop, queued, monkeypatch, caplog):
    def fail(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("integrations.services.webhooks.store_inbound_items", fail)

    with caplog.at_level(logging.ERROR, logger="integrations.intake"):
        response = post(IntakeClient(), shop, body())

    assert response.status_code == 500
    assert response.json()["error"] == "server_error"
    record = next(record for record in caplog.records if record.message == "webhook intake failed")
    assert record.slug == shop.slug
    assert InboundEvent.objects.count() == 0
