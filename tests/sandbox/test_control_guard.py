"""The sandbox's control endpoints take only JSON, so a page on another site cannot drive them."""

import pytest

from integrations.sandbox import faults

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
def test_cross_site_post_rejected(client, content_type):
    response = client.generic(
        "POST", "/sandbox/odoo/_faults", b'{"server_error_percent": 100}', content_type=content_type, HTTP_ORIGIN="http://evil.example",
    )

    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_media_type"
    assert faults.as_dict(faults.settings_for("odoo"))["server_error_percent"] == 0


def test_json_post_accepted(client):
    response = client.post("/sandbox/odoo/_faults", {"server_error_percent": 100}, content_type="application/json")

    assert response.status_code == 200
    assert faults.as_dict(faults.settings_for("odoo"))["server_error_percent"] == 100


def test_shopware_sync_route_not_guarded(client):
    response = client.generic("POST", "/sandbox/shopware/api/_action/sync", b"x", content_type="text/plain")

    assert response.status_code != 415
