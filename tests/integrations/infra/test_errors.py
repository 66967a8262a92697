from django.utils import translation

from integrations.errors import (
    AuthError,
    CircuitOpen,
    Conflict,
    ConnectionFailed,
    ConnectorError,
    InvalidResponse,
    NotFound,
    RateLimited,
    RequestRejected,
    ServerError,
    Timeout,
    ValidationFailed,
    parse_field_errors,
)


def test_error_codes_and_retryable_flags():
    expected = {
        ConnectorError: ("connector_error", False),
        AuthError: ("auth_failed", False),
        RateLimited: ("rate_limited", True),
        NotFound: ("not_found", False),
        ValidationFailed: ("validation_failed", False),
        Conflict: ("conflict", True),
        RequestRejected: ("request_rejected", False),
        ServerError: ("server_error", True),
        Timeout: ("timeout", True),
        ConnectionFailed: ("connection_failed", True),
        CircuitOpen: ("circuit_open", True),
        InvalidResponse: ("invalid_response", False),
    }

    for error_class, (code, retryable) in expected.items():
        error = error_class()
        assert (error.code, error.retryable) == (code, retryable), error_class
        assert isinstance(error, ConnectorError)


def test_error_keeps_status_and_retry_after():
    error = RateLimited("POST /orders returned HTTP 429", connection="Shop DE", status=429, retry_after=30.0)

    assert error.status == 429
    assert error.retry_after == 30.0
    assert error.connection == "Shop DE"
    assert str(error) == "POST /orders returned HTTP 429"


def test_support_message_names_connection_and_action():
    error = AuthError(connection="Akeneo PIM", status=401)

    with translation.override("en"):
        message = error.support_message

    assert message == (
        "Akeneo PIM rejected the credentials (HTTP 401). Check the API key or token in the "
        'connection settings, run "Test connection", then retry.'
    )


def test_support_message_without_connection_name():
    with translation.override("en"):
        message = ServerError(status=502).support_message

    assert message.startswith("the remote system had an internal error (HTTP 502).")


def test_generic_support_message_contains_code():
    with translation.override("en"):
        message = InvalidResponse(connection="ERP").support_message

    assert "invalid_response" in message
    assert message.startswith("ERP sent a response that Kontor cannot read.")


def test_validation_message_lists_fields():
    error = ValidationFailed(
        connection="Shopware DE", status=400, field_errors={"price": ["must be positive"], "sku": ["already taken", "too long"]}
    )

    with translation.override("en"):
        message = error.support_message

    assert message == (
        "Shopware DE rejected these fields: price: must be positive; sku: already taken, too long. "
        "Correct the values or the mapping in Kontor, then retry."
    )


def test_validation_message_limits_fields():
    error = ValidationFailed(connection="PIM", field_errors={f"field{i}": ["bad"] for i in range(8)})

    with translation.override("en"):
        message = error.support_message

    assert "field4: bad" in message
    assert "field5" not in message


def test_parse_field_errors_akeneo_shape():
    body = {"code": 422, "message": "Validation failed.", "errors": [{"property": "values", "message": "The value is required."}]}

    assert parse_field_errors(body) == {"values": ["The value is required."]}


def test_parse_field_errors_json_api_shape():
    body = {"errors": [{"status": "400", "detail": "This value should not be blank.", "source": {"pointer": "/0/name"}}]}

    assert parse_field_errors(body) == {"0/name": ["This value should not be blank."]}


def test_parse_field_errors_stripe_shape():
    body = {"error": {"type": "invalid_request_error", "param": "amount", "message": "Invalid integer: abc"}}

    assert parse_field_errors(body) == {"amount": ["Invalid integer: abc"]}


def test_parse_field_errors_paypal_shape():
    body = {"name": "UNPROCESSABLE_ENTITY", "details": [{"field": "/purchase_units/0/amount", "issue": "AMOUNT_MISMATCH", "description": "Should equal item total."}]}

    assert parse_field_errors(body) == {"purchase_units/0/amount": ["Should equal item total."]}


def test_parse_field_errors_mapping_shape():
    assert parse_field_errors({"errors": {"email": ["invalid"], "zip": "missing"}}) == {"email": ["invalid"], "zip": ["missing"]}
    assert parse_field_errors({"sku": ["This field is required."]}) == {"sku": ["This field is required."]}


def test_parse_field_errors_unknown_shape():
    assert parse_field_errors({"message": "Bad request"}) == {}
    assert parse_field_errors(["x"]) == {}
    assert parse_field_errors("<html>") == {}
