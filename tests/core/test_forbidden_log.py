"""Django logs a 403 from PermissionDenied as one line with the path and user id, and a 500 with its traceback."""

import io
import json
import logging

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from core.logging import JsonFormatter, RequestIdFilter, TextFormatter

pytestmark = pytest.mark.django_db

TEXT_FORMAT = settings.LOGGING["formatters"]["text"]["format"]


@pytest.fixture
def capture_log():
    """Return a function that captures the root logger's output through a given formatter."""
    root = logging.getLogger()
    previous_level = root.level
    handlers = []

    def capture(formatter):
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(formatter)
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
        handlers.append(handler)
        return stream

    root.setLevel(logging.INFO)
    yield capture
    for handler in handlers:
        root.removeHandler(handler)
    root.setLevel(previous_level)


def request_lines(stream):
    """Return the django.request lines without the timestamp that opens each of them."""
    return [line.split(" ", 2)[2] for line in stream.getvalue().splitlines() if " django.request " in line]


def test_admin_add_forbidden_one_line(client, capture_log):
    stream = capture_log(TextFormatter(TEXT_FORMAT))
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(user)

    response = client.get("/admin/orders/order/add/", HTTP_X_REQUEST_ID="support-403")

    assert response.status_code == 403
    assert request_lines(stream) == [
        "WARNING django.request [support-403] Forbidden (Permission denied): /admin/orders/order/add/ "
        f"status_code=403 request=\"<WSGIRequest: GET '/admin/orders/order/add/'>\" user_id={user.pk}"
    ]
    assert "Traceback" not in stream.getvalue()


@pytest.mark.urls("tests.core.forbidden_log_urls")
def test_forbidden_json_without_exc_info(client, capture_log):
    stream = capture_log(JsonFormatter())

    response = client.get("/forbidden/")

    assert response.status_code == 403
    [line] = [json.loads(text) for text in stream.getvalue().splitlines() if '"django.request"' in text]
    assert line["level"] == "WARNING"
    assert line["message"] == "Forbidden (Permission denied): /forbidden/"
    assert line["status_code"] == 403
    assert line["user_id"] is None
    assert "exc_info" not in line


@pytest.mark.urls("tests.core.forbidden_log_urls")
def test_server_error_keeps_traceback(client, capture_log):
    stream = capture_log(TextFormatter(TEXT_FORMAT))
    client.raise_request_exception = False

    response = client.get("/broken/")

    assert response.status_code == 500
    output = stream.getvalue()
    assert "ERROR django.request [" in output
    assert "Internal Server Error: /broken/" in output
    assert "Traceback (most recent call last):" in output
    assert "RuntimeError: Report total does not add up." in output
    assert "user_id=" not in output
