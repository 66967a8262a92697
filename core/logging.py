"""Request ids on every log line and the JSON log formatter."""

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime

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
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)
