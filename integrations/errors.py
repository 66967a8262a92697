"""Exceptions raised when a call to an external system fails, one class per failure cause.

Every error carries a stable `code` for filters and metrics, whether the retry policy may
retry it, the remote HTTP status if there was one, and a `support_message` that a support
person can act on. The technical text (`str(error)`) is English, for logs, and contains no
payload, secret or personal data.
"""

import math
from urllib.parse import urlsplit, urlunsplit

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from integrations.circuit import DEFAULT_RESET_TIMEOUT_SECONDS

# Field errors shown in a support message, so a 500-field rejection stays readable.
MAX_FIELDS_IN_MESSAGE = 5


class ConnectorError(Exception):
    """A failed call to an external system.

    `connection` is the connection's name as the admin lists it, not its slug, because the
    support message shows it to merchants.
    """

    code = "connector_error"
    retryable = False
    # True when the remote system cannot take any request now (it is down, unreachable or
    # throttling this client), not only this one. An ordered stream waits behind such a failure.
    connection_wide = False
    message_template = _(
        "The request to %(connection)s failed. Check the connection settings and retry. "
        "If it fails again, contact support with the error code %(code)s."
    )

    def __init__(self, message="", *, connection="", status=None, retry_after=None):
        super().__init__(message or self.code)
        self.connection = connection
        self.status = status
        self.retry_after = retry_after

    def message_params(self):
        """Return the values that the support message template refers to."""
        return {
            "connection": self.connection or gettext("the remote system"),
            "code": self.code,
            "status": self.status if self.status is not None else "-",
        }

    @property
    def support_message(self):
        """The message for support staff in the active language: what failed and what to do."""
        return str(self.message_template) % self.message_params()

    # The message after a manual "Test connection", for the errors whose support message speaks
    # of automatic retries or of records. None keeps the support message.
    test_message_template = None

    def test_message(self, *, url="", credentials=()):
        """Return the message for a failed manual connection test in the active language.

        `url` is the base URL that the test called, without secrets. `credentials` are the labels
        of the settings that the remote system checks at sign-in, for AuthError.
        """
        if self.test_message_template is None or not url:
            return self.support_message
        return str(self.test_message_template) % {**self.message_params(), "url": url}


class AuthError(ConnectorError):
    """401 or 403: the credentials are wrong, expired or lack a permission."""

    code = "auth_failed"
    message_template = _(
        "%(connection)s rejected the credentials (HTTP %(status)s). Check the API key or token "
        "in the connection settings, run \"Test connection\", then retry."
    )
    # Without the HTTP status, because Odoo's JSON-RPC rejects a login with HTTP 200.
    test_message_template = _(
        "%(url)s rejected the credentials. Check these connection settings, then test again: "
        "%(credentials)s."
    )
    no_labels_test_message_template = _(
        "%(url)s rejected the credentials. Check the credentials in the connection settings, "
        "then test again."
    )

    def test_message(self, *, url="", credentials=()):
        if not url:
            return self.support_message
        params = {**self.message_params(), "url": url}
        if not credentials:
            return str(self.no_labels_test_message_template) % params
        return str(self.test_message_template) % {**params, "credentials": ", ".join(str(label) for label in credentials)}


class RateLimited(ConnectorError):
    """429, or Kontor's own rate limit for the connection had no capacity left."""

    code = "rate_limited"
    retryable = True
    connection_wide = True
    message_template = _(
        "%(connection)s rejected the request because of its rate limit. Kontor retries it "
        "automatically. If this keeps happening, lower the rate limit in the connection settings."
    )
    test_message_template = _(
        "%(url)s rejected the test request because of a rate limit. Wait a minute, then test again. "
        "If this keeps happening, lower the rate limit in the connection settings."
    )


class NotFound(ConnectorError):
    """404: the record or endpoint does not exist at the remote system."""

    code = "not_found"
    message_template = _(
        "%(connection)s does not have the requested record (HTTP 404). Check that the record "
        "still exists there and that its external ID in Kontor is correct, then retry."
    )
    test_message_template = _(
        "%(url)s has no API at the address that the test called (HTTP 404). Check that the base "
        "URL in the connection settings is the address of the API, then test again."
    )


class ValidationFailed(ConnectorError):
    """400 or 422: the remote system rejected the data, with its errors per field if it sent any."""

    code = "validation_failed"
    message_template = _(
        "%(connection)s rejected the data as invalid (HTTP %(status)s). Correct the record or "
        "its mapping in Kontor, then retry."
    )
    fields_message_template = _(
        "%(connection)s rejected these fields: %(fields)s. Correct the values or the mapping "
        "in Kontor, then retry."
    )

    def __init__(self, message="", *, field_errors=None, **kwargs):
        super().__init__(message, **kwargs)
        # Remote field name -> list of the remote system's messages, as sent.
        self.field_errors = dict(field_errors or {})

    def message_params(self):
        params = super().message_params()
        shown = list(self.field_errors.items())[:MAX_FIELDS_IN_MESSAGE]
        params["fields"] = "; ".join(f"{field}: {', '.join(errors)}" for field, errors in shown)
        return params

    @property
    def support_message(self):
        template = self.fields_message_template if self.field_errors else self.message_template
        return str(template) % self.message_params()


class Conflict(ConnectorError):
    """409: a concurrent change or lock at the remote system; the same request usually succeeds later."""

    code = "conflict"
    retryable = True
    message_template = _(
        "%(connection)s reported a conflict with another change to the same record (HTTP 409). "
        "Kontor retries automatically. If it persists, check the record in %(connection)s."
    )


class RequestRejected(ConnectorError):
    """Any other 4xx (405, 410, 413 ...): the request itself is wrong and a retry would fail again."""

    code = "request_rejected"
    message_template = _(
        "%(connection)s rejected the request (HTTP %(status)s). Check the connection settings "
        "and the record, then retry. If it fails again, contact support with the error code %(code)s."
    )


class ServerError(ConnectorError):
    """5xx: the remote system failed while handling the request."""

    code = "server_error"
    retryable = True
    message_template = _(
        "%(connection)s had an internal error (HTTP %(status)s). Kontor retries automatically. "
        "If it persists, check the status page or the operator of %(connection)s."
    )
    test_message_template = _(
        "%(url)s had an internal error (HTTP %(status)s). Check the status page of the system or "
        "ask its operator, then test again."
    )


class Unavailable(ServerError):
    """502, 503 or 504: the remote system or the gateway in front of it cannot serve any request now."""

    code = "unavailable"
    connection_wide = True


class Timeout(ConnectorError):
    """No connection or no response within the client's connect or read timeout."""

    code = "timeout"
    retryable = True
    connection_wide = True
    message_template = _(
        "%(connection)s did not respond in time. Kontor retries automatically. If this keeps "
        "happening, check that %(connection)s is reachable and not overloaded."
    )
    test_message_template = _(
        "%(url)s did not respond in time. Check that the base URL in the connection settings is "
        "correct and that the system is online and not overloaded, then test again."
    )


class ConnectionFailed(ConnectorError):
    """DNS, TCP or TLS failure, or the connection broke while the response was read."""

    code = "connection_failed"
    retryable = True
    connection_wide = True
    message_template = _(
        "Kontor could not connect to %(connection)s. Check the base URL in the connection "
        "settings and that the system is online. Kontor retries automatically."
    )
    test_message_template = _(
        "Kontor could not connect to %(url)s. Check that the base URL in the connection settings "
        "is correct and that the system is online and reachable from the Kontor server, then test again."
    )


class CircuitOpen(ConnectorError):
    """The circuit breaker blocks calls after repeated failures; nothing was sent.

    `url` is the connection's base URL. Only its scheme, host, port and path are kept, because
    the user info, query string and fragment may contain credentials. `reset_timeout` is the
    breaker's setting in seconds, which the messages state as the pause.
    """

    code = "circuit_open"
    retryable = True
    connection_wide = True
    message_template = _(
        "Requests to %(connection)s at %(url)s are paused for %(pause)s after repeated failures. "
        "Kontor then tries again automatically. Check that %(url)s is online."
    )
    no_url_message_template = _(
        "Requests to %(connection)s are paused for %(pause)s after repeated failures. Kontor then "
        "tries again automatically. Check that %(connection)s is online."
    )
    test_message_template = _(
        "Kontor sent no test request to %(url)s, because requests to it are paused for %(pause)s "
        "after repeated failures. Check that %(url)s is online, then test again later."
    )

    def __init__(self, message="", *, url="", reset_timeout=DEFAULT_RESET_TIMEOUT_SECONDS, **kwargs):
        if reset_timeout <= 0:
            raise ValueError(f"reset_timeout must be greater than 0, got {reset_timeout}")
        super().__init__(message, **kwargs)
        self.url = url_without_secrets(url)
        self.reset_timeout = reset_timeout

    def message_params(self):
        # Rounded up, so the message never promises a retry before the breaker allows one.
        seconds = math.ceil(self.reset_timeout)
        pause = ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
        return {**super().message_params(), "url": self.url, "pause": pause}

    @property
    def support_message(self):
        template = self.message_template if self.url else self.no_url_message_template
        return str(template) % self.message_params()


class InvalidResponse(ConnectorError):
    """A response that is not JSON or lacks the fields the contract promises.

    Not retried, because the same request returns the same body; usually the base URL points
    at a web page or the remote API version changed.
    """

    code = "invalid_response"
    message_template = _(
        "%(connection)s sent a response that Kontor cannot read. Check that the base URL points "
        "at the API and not at a web page, then retry. If it fails again, contact support with "
        "the error code %(code)s."
    )


class ConfigurationError(ConnectorError, ValueError):
    """A missing or invalid connection setting, found before Kontor sent anything to the remote system.

    Also a ValueError, because callers caught the ValueError that these checks raised before.
    """

    code = "configuration_invalid"


class InvalidBaseURL(ConfigurationError):
    """A base URL that is empty or is not an http(s) address with a host."""

    code = "base_url_invalid"
    message_template = _(
        "The base URL %(url)s in the connection settings is invalid. Enter the address of the API, "
        "starting with https://, such as https://shop.example.com."
    )
    empty_message_template = _(
        "The base URL in the connection settings is empty. Enter the address of the API, starting "
        "with https://, such as https://shop.example.com."
    )

    def __init__(self, url, **kwargs):
        # A URL without a host keeps its text, because url_without_secrets would return "".
        shown_url = url_without_secrets(url) or str(url or "").strip()
        super().__init__(f"base URL {shown_url!r} must start with https:// or http:// and name a host", **kwargs)
        self.url = shown_url

    def message_params(self):
        return {**super().message_params(), "url": self.url}

    @property
    def support_message(self):
        template = self.message_template if self.url else self.empty_message_template
        return str(template) % self.message_params()

    def test_message(self, *, url="", credentials=()):
        return self.support_message


class InvalidSetting(ConfigurationError):
    """A connection setting with a value that Kontor cannot use.

    `setting` is the label that the admin shows for it, `expected` a sentence saying what is
    allowed. The message shows the value, so raise this only for settings that are not secret.
    """

    code = "setting_invalid"
    message_template = _("%(value)s is not a valid value for \"%(setting)s\". %(expected)s")
    empty_message_template = _("\"%(setting)s\" is empty. %(expected)s")

    def __init__(self, message="", *, setting, value, expected, **kwargs):
        super().__init__(message or f"setting {str(setting)!r} has the invalid value {value!r}", **kwargs)
        self.setting = setting
        self.value = str(value)
        self.expected = expected

    def message_params(self):
        return {
            **super().message_params(),
            "setting": str(self.setting),
            "value": f"\"{self.value}\"",
            "expected": str(self.expected),
        }

    @property
    def support_message(self):
        template = self.message_template if self.value.strip() else self.empty_message_template
        return str(template) % self.message_params()

    def test_message(self, *, url="", credentials=()):
        return self.support_message


def check_base_url(url, *, connection=""):
    """Raise InvalidBaseURL unless `url` is an http or https address with a host."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidBaseURL(url, connection=connection)


def url_without_secrets(url):
    """Return `url` with only its scheme, host, port and path, or "" when it has no host."""
    parts = urlsplit(url or "")
    if not parts.netloc:
        return ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


def parse_field_errors(body):
    """Collect field errors from the common JSON error shapes into {field: [messages]}.

    Handles {"errors": [{"property"|"field"|"param"|"source": ..., "message"|"detail": ...}]},
    {"errors": {field: messages}}, {"error": {"param": ..., "message": ...}},
    {"details": [{"field": ..., "description"|"issue": ...}]} and a flat {field: [messages]}.
    Anything else gives {}; the support message then falls back to the generic wording.
    """
    if not isinstance(body, dict):
        return {}
    found = {}

    def add(field, message):
        if isinstance(field, dict):
            field = field.get("pointer") or field.get("parameter") or ""
        field = str(field or "").strip("/") or "-"
        found.setdefault(field, []).append(str(message))

    errors = body.get("errors")
    if isinstance(errors, dict):
        for field, messages in errors.items():
            for message in messages if isinstance(messages, list) else [messages]:
                add(field, message)
    elif isinstance(errors, list):
        for item in errors:
            if isinstance(item, dict):
                field = item.get("property") or item.get("field") or item.get("param") or item.get("source")
                add(field, item.get("message") or item.get("detail") or item.get("title") or "")

    if isinstance(body.get("error"), dict) and body["error"].get("param"):
        add(body["error"]["param"], body["error"].get("message", ""))

    for item in body.get("details") or []:
        if isinstance(item, dict) and item.get("field"):
            add(item["field"], item.get("description") or item.get("issue") or "")

    if not found and "errors" not in body and "error" not in body:
        # Django REST framework style: every value is a list of messages.
        for field, messages in body.items():
            if isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages):
                for message in messages:
                    add(field, message)
    return found



# The codes a message keeps after a failure that concerned the whole connection.
CONNECTION_WIDE_CODES = frozenset(
    cls.code for cls in (RateLimited, Unavailable, Timeout, ConnectionFailed, CircuitOpen)
)
