"""The /_faults control endpoint accepts only the simulated systems, like the fault form and model."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from integrations.sandbox import faults
from integrations.sandbox.models import SandboxFaults

pytestmark = pytest.mark.django_db

ENGLISH_ERROR = "Unknown sandbox system “Shopware”. Choose one of: shopware, odoo, payments, shipping."
GERMAN_ERROR = "Unbekanntes Sandbox-System „Shopware“. Wählen Sie eines von: shopware, odoo, payments, shipping."


def send(client, method, url, body, language="en"):
    with translation.override(language):
        return getattr(client, method)(url, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language)


@pytest.mark.parametrize("method", ["put", "patch", "post"])
def test_endpoint_rejects_unknown_system(client, method):
    response = send(client, method, "/sandbox/Shopware/_faults", {"rate_limit_percent": 100})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": ENGLISH_ERROR, "fields": {"system": [ENGLISH_ERROR]}}
    assert not SandboxFaults.objects.exists()


def test_endpoint_error_in_german(client):
    response = send(client, "put", "/sandbox/Shopware/_faults", {"rate_limit_percent": 100}, language="de")

    assert response.status_code == 400
    assert response.json()["error"] == GERMAN_ERROR


def test_unknown_system_reported_before_fields(client):
    response = send(client, "put", "/sandbox/Shopware/_faults", {"explode": True})

    assert response.status_code == 400
    assert response.json()["error"] == ENGLISH_ERROR
    assert not SandboxFaults.objects.exists()


def test_endpoint_accepts_simulated_system(client):
    response = send(client, "put", "/sandbox/payments/_faults", {"rate_limit_percent": 100})

    assert response.status_code == 200
    assert response.json()["system"] == "payments"
    assert response.json()["rate_limit_percent"] == 100
    assert SandboxFaults.objects.get().system == "payments"


def test_invalid_setting_keeps_summary(client):
    response = send(client, "put", "/sandbox/shopware/_faults", {"server_error_percent": 250})

    assert response.status_code == 400
    assert response.json()["error"] == "Invalid fault settings."
    assert list(response.json()["fields"]) == ["server_error_percent"]


def test_update_faults_rejects_unknown_system():
    with translation.override("en"), pytest.raises(ValidationError) as raised:
        faults.update_faults("amazon", {"latency_ms": 100})

    assert raised.value.message_dict == {"system": ["Unknown sandbox system “amazon”. Choose one of: shopware, odoo, payments, shipping."]}
    assert not SandboxFaults.objects.exists()
