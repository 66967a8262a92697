"""The DHL billing number is checked for its 14 digits on save, in the connection test and before a label."""

import pytest
import responses
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from integrations.dhl import labels
from integrations.dhl.billing import clean_billing_number
from integrations.errors import InvalidSetting
from integrations.models import Connection
from integrations.services.connections import check_connection
from orders.models import Shipment
from tests.payments.support import make_connection
from tests.shipping.support import make_order_with_address

pytestmark = pytest.mark.django_db

API = "https://dhl.test"
VALID = "33333333330101"
GERMAN_EXPECTED = (
    "Geben Sie die 14 Ziffern der Abrechnungsnummer aus dem DHL-Geschäftskundenportal ein: "
    "die 10-stellige EKP, das 2-stellige Verfahren und die 2-stellige Teilnahme, z. B. 33333333330101."
)
GERMAN_LABEL = "Abrechnungsnummer (14 Ziffern: EKP, Verfahren, Teilnahme)"
INVALID = [
    "1234",  # too short
    "333333333301011",  # 15 digits
    "3333333333010A",  # a letter
    "3333333333-01-01",  # hyphens
    "３３３３３３３３３３０１０１",  # full-width digits
]


def make_dhl(billing_number):
    return make_connection(
        "dhl", "dhl",
        {"api_key": "dhl-api-key-0123456789", "username": "user-valid", "password": "pw", "billing_number": billing_number},
        base_url=API,
    )


def check_in(language, connection):
    with translation.override(language):
        return check_connection(connection)


@pytest.mark.parametrize("value, stored", [
    (VALID, VALID),
    ("3333333333 01 01", VALID),
    (" 33333333335301 ", "33333333335301"),
])
def test_valid_number_stored_compact(value, stored):
    assert clean_billing_number(value) == stored


@pytest.mark.parametrize("value", INVALID)
def test_invalid_number_rejected(value):
    with pytest.raises(InvalidSetting) as raised:
        clean_billing_number(value)

    assert raised.value.value == value


@pytest.mark.parametrize("value", INVALID)
def test_invalid_number_message_german(value):
    with pytest.raises(InvalidSetting) as raised:
        clean_billing_number(value)

    with translation.override("de"):
        assert raised.value.support_message == f'"{value}" ist kein gültiger Wert für "{GERMAN_LABEL}". {GERMAN_EXPECTED}'


def test_connection_test_rejects_number_english():
    connection = make_dhl("1234")

    with responses.RequestsMock() as sent:
        result = check_in("en", connection)
        calls = len(sent.calls)

    assert result == (
        False,
        '"1234" is not a valid value for "Billing number (14 digits: EKP, procedure, participation)". '
        "Enter the 14 digits of the billing number from the DHL business customer portal: the 10-digit EKP, "
        "the 2-digit procedure and the 2-digit participation, such as 33333333330101.",
    )
    assert calls == 0


def test_connection_test_rejects_number_german():
    connection = make_dhl("3333333333010A")

    with responses.RequestsMock() as sent:
        result = check_in("de", connection)
        calls = len(sent.calls)

    assert result == (False, f'"3333333333010A" ist kein gültiger Wert für "{GERMAN_LABEL}". {GERMAN_EXPECTED}')
    assert calls == 0


def test_connection_test_empty_number_german():
    connection = make_dhl("")

    with responses.RequestsMock():
        result = check_in("de", connection)

    assert result == (False, f'"{GERMAN_LABEL}" ist leer. {GERMAN_EXPECTED}')


def test_connection_test_passes_valid_number():
    connection = make_dhl(VALID)

    with responses.RequestsMock() as sent:
        sent.get(f"{API}/parcel/de/shipping/v2/", json={"amp": {"name": "pp-parcel-shipping", "version": "v2.1.14"}})
        ok, _text = check_in("de", connection)
        calls = len(sent.calls)

    assert ok is True
    assert calls == 1


def test_label_not_requested_with_invalid_number():
    order = make_order_with_address()
    shipment = Shipment.objects.create(order=order, carrier="dhl", service="V01PAK")
    connection = make_dhl("1234")

    with responses.RequestsMock() as sent:
        with pytest.raises(InvalidSetting):
            labels.create_label(shipment.pk, connection)
        calls = len(sent.calls)

    shipment.refresh_from_db()
    assert calls == 0
    assert shipment.external_id == ""


# Admin form


@pytest.fixture
def admin_client(client):
    client.force_login(get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-admin-1"))
    return client


def dhl_form(billing_number):
    return {
        "kind": "dhl", "name": "DHL", "slug": "dhl", "base_url": "",
        "enabled": "on", "time_zone": "Europe/Berlin", "rate_limit_per_second": "5", "rate_limit_burst": "10",
        "credential_api_key": "dhl-api-key-0123456789", "credential_username": "user-valid", "credential_password": "pw",
        "credential_billing_number": billing_number, "credential_product": "", "credential_shipper_ref": "",
        "entities-TOTAL_FORMS": "0", "entities-INITIAL_FORMS": "0", "entities-MIN_NUM_FORMS": "0", "entities-MAX_NUM_FORMS": "1000",
    }


def post_form(client, language, data):
    # The override restores the language afterwards, because LocaleMiddleware would leave it active.
    with translation.override(language):
        response = client.post(reverse("admin:integrations_connection_add"), data, HTTP_ACCEPT_LANGUAGE=language)
        errors = {}
        if response.status_code == 200:
            errors = {name: [str(error) for error in field_errors] for name, field_errors in response.context["adminform"].form.errors.items()}
    return response, errors


def test_form_rejects_number_german(admin_client):
    response, errors = post_form(admin_client, "de", dhl_form("1234567890"))

    assert response.status_code == 200
    assert errors == {"credential_billing_number": [f'"1234567890" ist kein gültiger Wert für "{GERMAN_LABEL}". {GERMAN_EXPECTED}']}
    assert not Connection.objects.filter(slug="dhl").exists()


def test_form_stores_number_without_spaces(admin_client):
    response, errors = post_form(admin_client, "de", dhl_form("3333333333 01 01"))

    assert errors == {}
    assert response.status_code == 302
    assert Connection.objects.get(slug="dhl").credentials["billing_number"] == VALID
