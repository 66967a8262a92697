"""The sandbox admin shows records and webhook deliveries read-only, with secrets and personal data masked."""

import json

import pytest
from django.urls import reverse

from integrations.sandbox.models import DeliveryState, SandboxRecord, SandboxWebhookDelivery
from integrations.sandbox.odoo import seed
from tests.admin_pages import render_page

pytestmark = pytest.mark.django_db


def test_settings_record_masks_api_key(staff_client):
    seed.configure(api_key="sandbox-key-0123456789-abcd")
    record = SandboxRecord.objects.get(system="odoo", collection="_config")
    url = reverse("admin:sandbox_sandboxrecord_change", args=[record.pk])

    page = render_page(staff_client, url, "de")
    posted = staff_client.post(url, {"data": '{"api_key": "changed"}'})

    assert "sandbox-key-0123456789-abcd" not in page
    assert "****abcd" in page
    assert f"&quot;login&quot;: &quot;{seed.DEFAULT_LOGIN}&quot;" in page
    assert posted.status_code == 403
    record.refresh_from_db()
    assert record.data["api_key"] == "sandbox-key-0123456789-abcd"


def test_records_cannot_be_deleted(staff_client):
    seed.ensure_seeded()
    record = SandboxRecord.objects.get(system="odoo", collection="_config")

    page = render_page(staff_client, reverse("admin:sandbox_sandboxrecord_change", args=[record.pk]), "en")
    deleted = staff_client.post(reverse("admin:sandbox_sandboxrecord_delete", args=[record.pk]), {"post": "yes"})

    assert "deletelink" not in page
    assert deleted.status_code == 403
    assert SandboxRecord.objects.filter(pk=record.pk).exists()


def test_delivery_read_only_and_masked(staff_client):
    delivery = SandboxWebhookDelivery.objects.create(
        system="shopware", event="checkout.order.placed", url="http://127.0.0.1:8000/hooks/shop/",
        body=json.dumps({"data": {"payload": {"order": {"orderNumber": "10042", "orderCustomer": {"email": "anna.berg@example.com"}}}}}),
        state=DeliveryState.SENT,
    )
    url = reverse("admin:sandbox_sandboxwebhookdelivery_change", args=[delivery.pk])

    page = render_page(staff_client, url, "en")
    added = staff_client.post(reverse("admin:sandbox_sandboxwebhookdelivery_add"), {"system": "shopware"})
    changed = staff_client.post(url, {"event": "changed"})

    assert "anna.berg@example.com" not in page
    assert "10042" in page
    assert added.status_code == 403
    assert changed.status_code == 403
    assert SandboxWebhookDelivery.objects.count() == 1
