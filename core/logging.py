"""Request ids on every log line, the text and JSON log formatters, and a filter for Django's 403 lines."""

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime

from django.core.exceptions import PermissionDenied

from integrations.masking import MASK, mask_mapping

request_id_var = contextvars.ContextVar("request_id", default="-")

# A caller may pass its own id so that a request can be followed across systems.
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

# Attributes every LogRecord has; anything else on a record came in through `extra`.
_RECORD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


def choose_request_id(incoming):
    """Return the caller's request id when it is well-formed, else a new one."""
    return incoming if VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex


class RequestIdMiddleware:
    """Give each request an id, echo it in the X-Request-ID response header and log it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = choose_request_id(request.headers.get("X-Request-ID", ""))
        # Kept until the response is closed (clear_request_id), because Django logs 4xx and 5xx
        # responses after the middleware has returned.
        request_id_var.set(request_id)
        request.request_id = request_id
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


def clear_request_id(**kwargs):
    """Receive request_finished: lines logged after the response belong to no request."""
    request_id_var.set("-")


class RequestIdFilter(logging.Filter):
    """Put the current request id (or "-" outside a request) on each record."""

    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class OmitPermissionDeniedTraceback(logging.Filter):
    """Drop the traceback from Django's "Forbidden (Permission denied)" line and add the user id.

    Django 5.2 logs each 403 from a PermissionDenied with the exception as exc_info
    (response_for_exception in django/core/handlers/exception.py), so every visit to the add page
    of a read-only admin would write a full traceback. The path in the message and the user id
    are enough for such an expected rejection. Records with any other exception, 500s included,
    keep their traceback.
    """

    def filter(self, record):
        exception = record.exc_info[1] if record.exc_info else None
        if isinstance(exception, PermissionDenied):
            record.exc_info = None
            record.exc_text = None
            record.user_id = _user_id(getattr(record, "request", None))
        return True


def _user_id(request):
    """Return the id of the request's signed-in user, or None for anonymous and non-request records."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return user.pk


def extra_fields(record):
    """Return the fields passed in a record's `extra`, in the caller's order, with secrets masked.

    The masking rules of integrations.masking apply by key and to text, as in the admin.
    """
    return {
        key: _mask_field(key, value)
        for key, value in vars(record).items()
        if key not in _RECORD_ATTRIBUTES and not key.startswith("_")
    }


def _mask_field(key, value):
    if isinstance(value, str) and value.startswith(MASK):
        # Already masked by the caller, as the HTTP client does for headers and parameters.
        # Masking it again would drop the last four characters that tell two secrets apart.
        return value
    if hasattr(value, "items"):
        return {item_key: _mask_field(item_key, item) for item_key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mask_field(key, item) for item in value]
    if value is not None and not isinstance(value, (str, int, float, bool)):
        # An object's text (a model's __str__) may contain an e-mail address.
        value = str(value)
    return mask_mapping({key: value})[key]


def format_text_value(value):
    """Return a value for a key=value pair.

    The value is JSON-quoted if it is empty or contains whitespace, '"', '=' or a control character.
    """
    text = str(value)
    if text == "" or any(char.isspace() or char in '"=' or not char.isprintable() for char in text):
        return json.dumps(text, ensure_ascii=False)
    return text


class TextFormatter(logging.Formatter):
    """Format a record by its format string, then append its `extra` fields as key=value pairs."""

    def formatMessage(self, record):
        line = super().formatMessage(record)
        pairs = [f"{key}={format_text_value(value)}" for key, value in extra_fields(record).items()]
        return " ".join([line, *pairs])


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object per line, with the `extra` fields at top level."""

    def format(self, record):
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id_var.get()),
        }
        payload.update(extra_fields(record))
        if record.exc_info:
            payload["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)
