import io
import json
import logging
import os
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from django.conf import settings

from core.logging import JsonFormatter, RequestIdFilter, TextFormatter

# 14:00:00.250 UTC, shown as "2026-12-05 14:00:00,250" by a formatter that converts to UTC.
RECORD_TIME = datetime(2026, 12, 5, 14, 0, 0, 250000, tzinfo=UTC).timestamp()
TEXT_FORMAT = settings.LOGGING["formatters"]["text"]["format"]


@pytest.fixture
def json_log():
    """Capture the root logger's output through the JSON formatter and the request id filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous_level)


@pytest.fixture
def text_log():
    """Capture the root logger's output through the text formatter and the request id filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(TextFormatter(TEXT_FORMAT))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous_level)


def read_lines(stream):
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def make_record(message, level=logging.WARNING, logger_name="integrations.http", **extra):
    """Build a record as a logger call with `extra` does, at RECORD_TIME, outside a request."""
    record = logging.getLogger(logger_name).makeRecord(logger_name, level, __file__, 1, message, (), None, extra=extra)
    record.created = RECORD_TIME
    record.msecs = 250.0
    RequestIdFilter().filter(record)
    return record


def utc_text_formatter():
    formatter = TextFormatter(TEXT_FORMAT)
    # The configured formatter writes local time, so the expected lines would depend on TZ.
    formatter.converter = time.gmtime
    return formatter


def test_json_formatter_writes_one_object_with_extra(json_log):
    logging.getLogger("kontor.tests").info("Order created", extra={"order_id": 7, "channel": "shop-de"})

    [line] = read_lines(json_log)
    assert line["message"] == "Order created"
    assert line["level"] == "INFO"
    assert line["logger"] == "kontor.tests"
    assert line["order_id"] == 7
    assert line["channel"] == "shop-de"
    assert line["request_id"] == "-"
    assert line["time"].endswith("+00:00")


def test_json_formatter_includes_traceback(json_log):
    try:
        raise ValueError("broken")
    except ValueError:
        logging.getLogger("kontor.tests").exception("Step failed")

    [line] = read_lines(json_log)
    assert "ValueError: broken" in line["exc_info"]


@pytest.mark.urls("tests.core.logging_urls")
def test_request_id_on_every_line_and_echoed(client, json_log):
    response = client.get("/log/", HTTP_X_REQUEST_ID="support-ticket-4711")

    assert response["X-Request-ID"] == "support-ticket-4711"
    lines = [line for line in read_lines(json_log) if line["logger"] == "kontor.tests.logging"]
    assert [line["message"] for line in lines] == ["First step", "Second step"]
    assert {line["request_id"] for line in lines} == {"support-ticket-4711"}
    assert lines[0]["order_id"] == 42


@pytest.mark.urls("tests.core.logging_urls")
def test_request_id_generated_when_header_missing_or_invalid(client, json_log):
    response = client.get("/log/", HTTP_X_REQUEST_ID="bad id with spaces")

    request_id = response["X-Request-ID"]
    assert request_id != "bad id with spaces"
    assert len(request_id) == 32
    lines = [line for line in read_lines(json_log) if line["logger"] == "kontor.tests.logging"]
    assert {line["request_id"] for line in lines} == {request_id}


def test_request_id_on_django_response_log(client, json_log):
    response = client.get("/api/v1/products/", HTTP_X_REQUEST_ID="support-4712")

    assert response.status_code == 401
    lines = [line for line in read_lines(json_log) if line["logger"] == "django.request"]
    assert [line["request_id"] for line in lines] == ["support-4712"]


def test_request_id_reset_after_request(client, json_log):
    client.get("/admin/login/", HTTP_X_REQUEST_ID="first-request")
    logging.getLogger("kontor.tests").info("After the request")

    assert read_lines(json_log)[-1]["request_id"] == "-"


def test_log_format_json_selects_json_formatter():
    code = (
        "import django, logging; django.setup(); "
        "handler = logging.getLogger().handlers[0]; "
        "print(type(handler.formatter).__name__)"
    )
    env = dict(os.environ, LOG_FORMAT="json", DJANGO_SETTINGS_MODULE="config.settings")

    output = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)

    assert output.stdout.strip() == "JsonFormatter"


def test_text_formatter_appends_extra_in_caller_order():
    record = make_record(
        "HTTP request failed",
        connection="Shop DE",
        method="GET",
        path="/api/products",
        status=503,
        duration_ms=12.5,
        error_code="server_error",
    )

    line = utc_text_formatter().format(record)

    assert line == (
        "2026-12-05 14:00:00,250 WARNING integrations.http [-] HTTP request failed "
        'connection="Shop DE" method=GET path=/api/products status=503 duration_ms=12.5 error_code=server_error'
    )


def test_text_formatter_without_extra_shows_message_only():
    record = make_record("Second step", level=logging.INFO, logger_name="kontor.tests")

    line = utc_text_formatter().format(record)

    assert line == "2026-12-05 14:00:00,250 INFO kontor.tests [-] Second step"


def test_text_formatter_quotes_and_escapes_values():
    record = make_record(
        "sync error recorded",
        sync_error_id=17,
        external_id="",
        object_id=None,
        detail='SKU "A-1"\nrejected',
        filter="sku=A-1",
        title="Grüne Tasse",
    )

    line = utc_text_formatter().format(record)

    assert line == (
        "2026-12-05 14:00:00,250 WARNING integrations.http [-] sync error recorded "
        'sync_error_id=17 external_id="" object_id=None detail="SKU \\"A-1\\"\\nrejected" '
        'filter="sku=A-1" title="Grüne Tasse"'
    )


def test_text_formatter_keeps_traceback_after_pairs():
    try:
        raise ValueError("broken")
    except ValueError:
        record = make_record("Step failed", level=logging.ERROR, logger_name="kontor.tests", order_id=7)
        record.exc_info = sys.exc_info()

    lines = utc_text_formatter().format(record).splitlines()

    assert lines[0] == "2026-12-05 14:00:00,250 ERROR kontor.tests [-] Step failed order_id=7"
    assert lines[1] == "Traceback (most recent call last):"
    assert lines[-1] == "ValueError: broken"


def test_secret_extra_masked_in_both_formats():
    record = make_record(
        "token refresh failed",
        connection_id=3,
        access_token="shpat_0123456789abcdef0123456789abXYZ9",
        password="hunter2",
        customer_email="erika.mustermann@example.org",
        note="reply to erika.mustermann@example.org",
    )

    text_line = utc_text_formatter().format(record)
    json_line = json.loads(JsonFormatter().format(record))

    assert text_line == (
        "2026-12-05 14:00:00,250 WARNING integrations.http [-] token refresh failed "
        'connection_id=3 access_token=****XYZ9 password=**** customer_email=**** note="reply to ****"'
    )
    assert json_line["connection_id"] == 3
    assert json_line["access_token"] == "****XYZ9"
    assert json_line["password"] == "****"
    assert json_line["customer_email"] == "****"
    assert json_line["note"] == "reply to ****"


def test_nested_secret_masked_and_caller_mask_kept():
    # The HTTP client masks headers itself, so the token's tail must survive a second pass.
    record = make_record(
        "HTTP request started",
        level=logging.DEBUG,
        headers={"Authorization": "****XYZ9", "X-Api-Key": "key-0123456789abcdef", "Accept": "*/*"},
    )

    text_line = utc_text_formatter().format(record)
    json_line = json.loads(JsonFormatter().format(record))

    assert text_line == (
        "2026-12-05 14:00:00,250 DEBUG integrations.http [-] HTTP request started "
        "headers=\"{'Authorization': '****XYZ9', 'X-Api-Key': '****cdef', 'Accept': '*/*'}\""
    )
    assert json_line["headers"] == {"Authorization": "****XYZ9", "X-Api-Key": "****cdef", "Accept": "*/*"}


@pytest.mark.urls("tests.core.logging_urls")
def test_text_line_has_request_id_and_extra(client, text_log):
    client.get("/log/", HTTP_X_REQUEST_ID="support-ticket-4711")

    lines = [line for line in text_log.getvalue().splitlines() if " kontor.tests.logging " in line]
    assert [line.split(" ", 2)[2] for line in lines] == [
        "INFO kontor.tests.logging [support-ticket-4711] First step order_id=42",
        "WARNING kontor.tests.logging [support-ticket-4711] Second step",
    ]


def test_log_format_defaults_to_text_formatter():
    code = (
        "import django, logging; django.setup(); "
        "handler = logging.getLogger().handlers[0]; "
        "print(type(handler.formatter).__name__, handler.formatter._fmt)"
    )
    env = {key: value for key, value in os.environ.items() if key != "LOG_FORMAT"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"

    output = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)

    assert output.stdout.strip() == "TextFormatter %(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
