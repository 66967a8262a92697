"""One error shape for the whole API: {code, message, field, value, errors}.

`code` is a stable machine-readable string, `message` a sentence for a developer, `field`
the parameter, header or body field at fault (null when none) and `value` the value that
was rejected. When several fields are wrong, `errors` lists each in the same shape and the
top-level keys repeat the first one.
"""

import logging
import math

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response

logger = logging.getLogger(__name__)

# Longest rejected value echoed back; longer ones are cut so an error never carries a payload.
MAX_VALUE_LENGTH = 200


class ApiError(exceptions.APIException):
    """An expected failure with its code, the field at fault and the rejected value."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(self, message, *, code=None, field=None, value=None, status_code=None):
        super().__init__(detail=message, code=code or self.default_code)
        self.code = code or self.default_code
        self.field = field
        self.value = value
        if status_code is not None:
            self.status_code = status_code


class InvalidParameter(ApiError):
    default_code = "invalid_parameter"


class Conflict(ApiError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class Unprocessable(ApiError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "unprocessable"


def error_body(code, message, field=None, value=None):
    return {"code": code, "message": str(message), "field": field, "value": _clip(value)}


def _clip(value):
    if value is None or isinstance(value, bool | int | float):
        return value
    text = str(value)
    return text if len(text) <= MAX_VALUE_LENGTH else text[:MAX_VALUE_LENGTH] + "…"


def _combine(items):
    first = items[0]
    return {**first, "errors": items}


def _flatten_validation(detail, request_data, prefix=""):
    """Turn DRF's nested validation detail into a flat list of error bodies with dotted fields."""
    items = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int):
                # DRF reports the items of a list by their index.
                items.extend(_flatten_validation(value, _lookup(request_data, key), f"{prefix}[{key}]"))
                continue
            field = key if key != "non_field_errors" else None
            name = f"{prefix}.{field}" if prefix and field else (field or prefix or None)
            items.extend(_flatten_validation(value, _lookup(request_data, key), name or ""))
    elif isinstance(detail, list):
        if detail and all(isinstance(entry, exceptions.ErrorDetail | str) for entry in detail):
            for entry in detail:
                items.append(error_body(getattr(entry, "code", "invalid"), entry, prefix or None, _scalar(request_data)))
        else:
            for index, entry in enumerate(detail):
                if entry:
                    items.extend(_flatten_validation(entry, _lookup(request_data, index), f"{prefix}[{index}]"))
    else:
        items.append(error_body(getattr(detail, "code", "invalid"), detail, prefix or None, _scalar(request_data)))
    return items


def _lookup(data, key):
    try:
        return data[key]
    except (KeyError, IndexError, TypeError):
        return None


def _scalar(value):
    return value if value is None or isinstance(value, str | int | float | bool) else None


def api_exception_handler(exc, context):
    """Render every exception raised in an API view in the documented error shape."""
    request = context.get("request")
    headers = {}

    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = ApiError(
            _("The request body is larger than %(limit)s bytes. Send a smaller body, such as fewer order lines per request.") % {"limit": limit},
            code="payload_too_large",
            status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        # Without parameters such as the multipart boundary, which only lengthen the message.
        media_type = (getattr(request, "content_type", "") if request is not None else "").split(";")[0].strip()
        exc = ApiError(
            _("The API does not read request bodies of type %(media_type)s. Send the body as JSON with the header Content-Type: application/json.")
            % {"media_type": media_type or _("(none)")},
            code="unsupported_media_type",
            field="Content-Type",
            value=media_type,
            status_code=status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)

    if isinstance(exc, ApiError):
        items = getattr(exc, "items", None) or [error_body(exc.code, exc.detail, exc.field, exc.value)]
        return Response(_combine(items), status=exc.status_code)

    if isinstance(exc, exceptions.ValidationError):
        data = getattr(request, "data", None) if request is not None else None
        items = _flatten_validation(exc.detail, data) or [error_body("invalid", _("The request is invalid."))]
        return Response(_combine(items), status=exc.status_code)

    if isinstance(exc, exceptions.APIException):
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            # Rounded up, so a client that waits this long is in the next window, but never
            # beyond the window's length (int() + 1 gave 61 at the start of a 60 s window).
            headers["Retry-After"] = str(max(1, math.ceil(exc.wait)))
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        body = error_body(code, exc.detail if isinstance(exc.detail, str) else exc.default_detail)
        return Response(_combine([body]), status=exc.status_code, headers=headers)

    # Anything else is a bug: log it with the traceback and respond without details.
    logger.exception("Unhandled API error", extra={"path": getattr(request, "path", "")})
    body = error_body("server_error", _("The server failed to process the request. It has been logged."))
    return Response(_combine([body]), status=status.HTTP_500_INTERNAL_SERVER_ERROR)


def not_found_view(request, *args, **kwargs):
    """JSON 404 for paths under /api/v1/ that match no endpoint."""
    body = error_body("not_found", _("No endpoint at %(path)s. See /api/v1/docs/ for the endpoints.") % {"path": request.path}, "path", request.path)
    return JsonResponse(_combine([body]), status=404)
