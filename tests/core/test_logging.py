import io
import json
import logging
import os
import subprocess
import sys

import pytest

from core.logging import JsonFormatter, RequestIdFilter


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


def read_lines(stream):
    return [json.loads(line) for line in stream.getvalue().splitlines()]


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
