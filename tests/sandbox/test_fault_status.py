"""The status of the "fail the next N requests" fault: only error statuses and 0 for a timeout."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from integrations.sandbox import faults
from integrations.sandbox.models import SandboxFaults

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:sandbox_sandboxfaults_add")
MESSAGE_EN = "{value} is not an error status. Enter an HTTP status from 400 to 599, or 0 for a timeout."
MESSAGE_DE = "{value} ist kein Fehlerstatus. Geben Sie einen HTTP-Status von 400 bis 599 ein oder 0 für eine Zeitüberschreitung."


def form_data(fail_next_status):
    """Return the POST data of the fault form for the Odoo sandbox, failing the next request."""
    return {
        "system": "odoo",
        "latency_ms": "0",
        "rate_limit_percent": "0",
        "retry_after_seconds": "1",
        "server_error_percent": "0",
        "server_error_status": "503",
        "timeout_percent": "0",
        "timeout_seconds": "35",
        "fail_next_requests": "1",
        "fail_next_status": str(fail_next_status),
        "duplicate_webhooks_percent": "0",
        "drop_webhooks_percent": "0",
    }


def post_form(client, status, language):
    with translation.override(language):
        return client.post(ADD_URL, form_data(status), HTTP_ACCEPT_LANGUAGE=language)


@pytest.mark.parametrize("status", [200, 204, 302, 399, 600, 1])
@pytest.mark.parametrize(("language", "message"), [("en", MESSAGE_EN), ("de", MESSAGE_DE)])
def test_form_rejects_non_error_status(staff_client, status, language, message):
    response = post_form(staff_client, status, language)
    html = response.content.decode()

    assert response.status_code == 200
    assert message.format(value=status) in html
    assert not SandboxFaults.objects.exists()


@pytest.mark.parametrize("status", [0, 400, 422, 429, 500, 503, 599])
def test_form_accepts_error_status(staff_client, status):
    response = post_form(staff_client, status, "en")

    assert response.status_code == 302
    assert SandboxFaults.objects.get(system="odoo").fail_next_status == status


def test_service_rejects_status_200():
    with pytest.raises(ValidationError) as raised, translation.override("en"):
        faults.update_faults("odoo", {"fail_next_requests": 1, "fail_next_status": 200})

    assert raised.value.message_dict == {"fail_next_status": [MESSAGE_EN.format(value=200)]}
    assert SandboxFaults.objects.get(system="odoo").fail_next_status == 503


def test_endpoint_rejects_status_200(client):
    with translation.override("en"):
        response = client.patch(
            "/sandbox/odoo/_faults", json.dumps({"fail_next_status": 200}), content_type="application/json"
        )

    assert response.status_code == 400
    assert response.json()["fields"] == {"fail_next_status": [MESSAGE_EN.format(value=200)]}


def test_help_text_names_range(staff_client):
    with translation.override("de"):
        html = staff_client.get(ADD_URL, HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert "Ein HTTP-Fehlerstatus von 400 bis 599" in html
