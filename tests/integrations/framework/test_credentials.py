import json
import logging

import pytest
import responses
from django.db import transaction

from catalog.models import Warehouse
from integrations.models import Connection
from integrations.services.delivery import deliver_message
from integrations.services.outbox import enqueue_outbound
from tests.integrations.framework.conftest import BASE_URL
from tests.integrations.framework.testshop import sign

pytestmark = pytest.mark.django_db

SECRETS = ("tok-shop-0123456789", "whsec-shop-secret")


def test_credentials_encrypted_at_rest(shop):
    raw = Connection.objects.filter(pk=shop.pk).values_list("credentials_encrypted", flat=True).get()

    for secret in SECRETS:
        assert secret not in raw
    assert Connection.objects.get(pk=shop.pk).credentials["api_token"] == "tok-shop-0123456789"


@responses.activate
def test_credentials_absent_from_logs(client, shop, caplog):
    warehouse = Warehouse.objects.create(code="W1", name="Main")
    responses.put(f"{BASE_URL}/products/{warehouse.pk}", status=500)
    body = json.dumps({"events": [{"type": "products.updated", "object": {"id": "W1", "name": "x", "updated_at": "2026-05-01T10:00:00"}}]}).encode()

    with caplog.at_level(logging.DEBUG):
        client.post(
            f"/hooks/{shop.slug}/", data=body, content_type="application/json",
            HTTP_X_TESTSHOP_SIGNATURE=sign("whsec-shop-secret", body),
        )
        client.post(f"/hooks/{shop.slug}/", data=body, content_type="application/json", HTTP_X_TESTSHOP_SIGNATURE="bad")
        with transaction.atomic():
            (message,) = enqueue_outbound(warehouse, "products", {"name": "Main"})
        deliver_message(message.pk)

    assert "HTTP request failed" in caplog.messages
    logged = caplog.text + "".join(json.dumps(vars(record), default=str) for record in caplog.records)
    for secret in SECRETS:
        assert secret not in logged
