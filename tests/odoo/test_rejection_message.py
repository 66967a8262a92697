"""Support messages of Odoo's validation errors: Odoo's message once, without its exception name."""

import pytest
import responses
from django.utils import translation

from integrations.errors import ValidationFailed
from integrations.odoo.client import OdooClient, OdooRejected, as_sentence
from integrations.sandbox import faults
from integrations.sandbox.odoo import seed
from integrations.sandbox.odoo.views import fault_exception_name
from tests.odoo.conftest import ODOO_URL, make_odoo_connection

pytestmark = pytest.mark.django_db

REQUIRED_EN = (
    "Odoo sandbox rejected the data: The field 'Customer' (partner_id) is required. Correct the record or its "
    "mapping in Kontor, then retry."
)
REQUIRED_DE = (
    "Odoo sandbox hat die Daten abgelehnt: The field 'Customer' (partner_id) is required. Korrigieren Sie den "
    "Datensatz oder seine Zuordnung in Kontor und versuchen Sie es dann erneut."
)

# The body of Odoo 19's JSON-2 dispatcher for a ValidationError (odoo.http.serialize_exception),
# whose message spans several lines.
REAL_JSON2_BODY = {
    "name": "odoo.exceptions.ValidationError",
    "message": (
        "The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n"
        "- Delete: another model requires the record being deleted. If possible, archive it instead.\n\n"
        "Model: Sales Order (sale.order)\nField: Customer (partner_id)\n"
    ),
    "arguments": ["The operation cannot be completed: ..."],
    "context": {},
    "debug": "Traceback (most recent call last):\n  ...\nodoo.exceptions.ValidationError: The operation cannot be completed\n",
}


def rejection(version):
    seed.configure(version=version)
    client = OdooClient(make_odoo_connection(version=version))
    with pytest.raises(OdooRejected) as raised:
        client.create("sale.order", {"order_line": []})
    return raised.value


@pytest.mark.parametrize("version", ["19.0", "17.0"])
def test_user_error_message_reads_cleanly(sandbox, version):
    error = rejection(version)

    with translation.override("en"):
        english = error.support_message
    with translation.override("de"):
        german = error.support_message

    assert english == REQUIRED_EN
    assert german == REQUIRED_DE
    assert "odoo.exceptions" not in english
    assert ".." not in english


@pytest.mark.parametrize("version", ["19.0", "17.0"])
def test_user_error_name_in_log_text(sandbox, version):
    error = rejection(version)

    assert "odoo.exceptions.UserError" in str(error)
    assert "partner_id" not in str(error)
    assert isinstance(error, ValidationFailed)
    assert error.status == (422 if version == "19.0" else None)


@responses.activate
def test_real_json2_body_one_line():
    responses.post(f"{ODOO_URL}/json/2/sale.order/create", json=REAL_JSON2_BODY, status=422)
    client = OdooClient(make_odoo_connection(version="19.0"))

    with pytest.raises(OdooRejected) as raised, translation.override("en"):
        client.create("sale.order", {"partner_id": False})

    assert raised.value.support_message == (
        "Odoo sandbox rejected the data: The operation cannot be completed: - Create/update: a mandatory field "
        "is not set. - Delete: another model requires the record being deleted. If possible, archive it instead. "
        "Model: Sales Order (sale.order) Field: Customer (partner_id). Correct the record or its mapping in "
        "Kontor, then retry."
    )
    assert "odoo.exceptions.ValidationError" in str(raised.value)


@responses.activate
def test_non_odoo_body_keeps_status_message():
    responses.post(f"{ODOO_URL}/json/2/sale.order/create", body="<html>Bad request</html>", status=400)
    client = OdooClient(make_odoo_connection(version="19.0"))

    with pytest.raises(ValidationFailed) as raised, translation.override("en"):
        client.create("sale.order", {})

    assert not isinstance(raised.value, OdooRejected)
    assert raised.value.support_message == (
        "Odoo sandbox rejected the data as invalid (HTTP 400). Correct the record or its mapping in Kontor, then retry."
    )


def test_fault_422_message_reads_cleanly(sandbox):
    faults.update_faults("odoo", {"fail_next_requests": 1, "fail_next_status": 422})
    client = OdooClient(make_odoo_connection())

    with pytest.raises(OdooRejected) as raised, translation.override("en"):
        client.search_read("res.partner", [], ["name"])

    assert raised.value.support_message == (
        "Odoo sandbox rejected the data: Simulated failure. Correct the record or its mapping in Kontor, then retry."
    )
    assert list(raised.value.field_errors) == ["odoo.exceptions.ValidationError"]


@pytest.mark.parametrize(
    ("status", "name"),
    [
        (400, "werkzeug.exceptions.BadRequest"),
        (403, "odoo.exceptions.AccessError"),
        (422, "odoo.exceptions.ValidationError"),
        (429, "werkzeug.exceptions.TooManyRequests"),
        (503, "werkzeug.exceptions.ServiceUnavailable"),
        (405, "werkzeug.exceptions.MethodNotAllowed"),
        (599, "werkzeug.exceptions.HTTPException"),
    ],
)
def test_fault_exception_names(status, name):
    assert fault_exception_name(status) == name


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("Only confirmed orders can be locked.", "Only confirmed orders can be locked."),
        ("Invalid product on an order line: 7", "Invalid product on an order line: 7."),
        ("Wrong value:\n\n", "Wrong value."),
        ("Really?", "Really?"),
        ("Loading...", "Loading."),
        ("", ""),
        ("word " * 100, ("word " * 60).strip() + " …"),
    ],
)
def test_as_sentence_cases(text, sentence):
    assert as_sentence(text) == sentence
