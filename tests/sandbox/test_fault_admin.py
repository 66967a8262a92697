"""The sandbox fault form offers only the simulated systems and names them in German."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from integrations.sandbox.models import SandboxFaults, SandboxSystem
from integrations.sandbox.urls import SIMULATED_SYSTEMS

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:sandbox_sandboxfaults_add")
LIST_URL = reverse("admin:sandbox_sandboxfaults_changelist")
GERMAN_ERROR = "Unbekanntes Sandbox-System „Shopware“. Wählen Sie eines von: shopware, odoo, payments, shipping."


def form_data(system):
    """Return the POST data of the fault form with every setting off."""
    return {
        "system": system,
        "latency_ms": "0",
        "rate_limit_percent": "0",
        "retry_after_seconds": "1",
        "server_error_percent": "0",
        "server_error_status": "503",
        "timeout_percent": "0",
        "timeout_seconds": "35",
        "fail_next_requests": "0",
        "fail_next_status": "503",
        "duplicate_webhooks_percent": "0",
        "drop_webhooks_percent": "0",
    }


def german(client, method, url, data=None):
    with translation.override("de"):
        response = getattr(client, method)(url, data, HTTP_ACCEPT_LANGUAGE="de")
    return response, response.content.decode()


def test_system_choices_are_the_simulated_systems():
    assert SandboxSystem.values == list(SIMULATED_SYSTEMS)


def test_add_form_offers_systems_in_german(staff_client):
    response, html = german(staff_client, "get", ADD_URL)

    assert response.status_code == 200
    assert '<select name="system" required id="id_system">' in html
    assert '<option value="shopware">Shopware</option>' in html
    assert '<option value="odoo">Odoo</option>' in html
    assert '<option value="payments">Zahlungsanbieter (Stripe, PayPal, Mollie)</option>' in html
    assert '<option value="shipping">Versanddienstleister (DHL, Sendcloud)</option>' in html


def test_add_form_saves_known_system(staff_client):
    response, _html = german(staff_client, "post", ADD_URL, form_data("odoo"))
    _response, list_html = german(staff_client, "get", LIST_URL)

    assert response.status_code == 302
    assert list(SandboxFaults.objects.values_list("system", flat=True)) == ["odoo"]
    assert '/change/">Odoo</a>' in list_html


def test_add_form_rejects_other_spelling(staff_client):
    response, html = german(staff_client, "post", ADD_URL, form_data("Shopware"))

    assert response.status_code == 200
    assert GERMAN_ERROR in html
    assert SandboxFaults.objects.count() == 0


def test_unknown_stored_system_stays_readable(staff_client):
    # given a row saved before the system was a choice
    faults = SandboxFaults.objects.create(system="Shopware", latency_ms=250)

    # when the list and the row's page open
    _response, list_html = german(staff_client, "get", LIST_URL)
    response, change_html = german(staff_client, "get", reverse("admin:sandbox_sandboxfaults_change", args=[faults.pk]))

    # then both show the stored name, marked as unknown
    assert response.status_code == 200
    assert f'<a href="/admin/sandbox/sandboxfaults/{faults.pk}/change/">Shopware (unbekanntes System)</a>' in list_html
    assert '<option value="Shopware" selected>Shopware (unbekanntes System)</option>' in change_html
    assert '<option value="shopware">Shopware</option>' in change_html


def test_unknown_stored_system_cannot_be_saved(staff_client):
    faults = SandboxFaults.objects.create(system="Shopware")
    data = form_data("Shopware") | {"latency_ms": "500"}

    response, html = german(staff_client, "post", reverse("admin:sandbox_sandboxfaults_change", args=[faults.pk]), data)

    assert response.status_code == 200
    assert GERMAN_ERROR in html
    faults.refresh_from_db()
    assert faults.latency_ms == 0


def test_model_validation_names_value_and_choices():
    faults = SandboxFaults(system="Shopware")

    with pytest.raises(ValidationError) as raised:
        faults.full_clean()

    assert raised.value.message_dict == {
        "system": ["Unknown sandbox system “Shopware”. Choose one of: shopware, odoo, payments, shipping."]
    }
