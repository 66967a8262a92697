"""The sandbox record admin shows records read-only, with the sandbox's own secrets masked."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from integrations.sandbox.models import SandboxRecord
from integrations.sandbox.odoo import seed
from tests.admin_pages import render_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-admin-1"))
    return client


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
