"""The one HTTP client that connectors use to call external systems.

Every call has a connect and a read timeout, passes the connection's circuit breaker and rate
limit, and ends either in a response with an expected status or in the ConnectorError subclass
for its cause. `request` makes one attempt, because outbox delivery rows own attempts and
backoff. `request_with_retries` is for callers that wait for the result (admin actions, pulls).

Log lines name the connection, method, path, status and duration. They never contain a body,
a query string value, a secret or personal data.
"""

import logging
import time
from contextlib import contextmanager
from contextvars import ContextVar
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import NewConnectionError

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
    Unavailable,
    ValidationFailed,
    parse_field_errors,
)
from integrations.masking import mask, mask_mapping, mask_text  # noqa: F401 (re-exported)
from integrations.retry import INTERACTIVE_POLICY, parse_retry_after

logger = logging.getLogger(__name__)

SUCCESS = range(200, 300)

# Methods that HTTP defines as idempotent, so repeating one after a timeout changes nothing.
IDEMPOTENT_METHODS = {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}

# Errors raised before the request was sent, so even a POST may be repeated.
NOT_SENT_ERRORS = (CircuitOpen, RateLimited)

# Failures that show the remote system is unhealthy. They count towards opening the circuit.
UNHEALTHY_ERRORS = (ServerError, Timeout, ConnectionFailed)

# Statuses of a response that rejects a request before the remote system processes it: too
# many requests, and unavailable (overloaded, in maintenance, or no backend behind the proxy).
TURNED_AWAY_STATUSES = {429, 503}

# A turned-away status counts only when it came this fast. Some proxies return 503 once the
# application behind them has taken too long (Heroku's router after 30 s), and by then the
# application may have carried out the request.
TURNED_AWAY_WITHIN_SECONDS = 5.0

# Methods that HTTP defines as safe: they read and change nothing on the remote system.
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class SendRecord:
    """Whether a request sent within `recording_sends` may have changed something remotely."""

    def __init__(self):
        self.may_have_reached = False

    def sending(self, changes_remote):
        """Note a request about to leave and return the earlier value, to restore if it is turned away.

        Noted before the send, so that a request cut short by anything (a timeout, a stopping
        worker's signal) counts as one that may have arrived. A read changes nothing.
        """
        earlier = self.may_have_reached
        if changes_remote:
            self.may_have_reached = True
        return earlier


_send_record = ContextVar("send_record", default=None)


@contextmanager
def recording_sends():
    """Yield a SendRecord that notes whether any request in the block may have reached its system.

    Outbox delivery wraps each attempt in it, so a cancellation can tell a message that only
    ever met an outage (connection refused, 503, the breaker) from one that may be in the ERP.
    """
    record = SendRecord()
    token = _send_record.set(record)
    try:
        yield record
    finally:
        _send_record.reset(token)


def _never_connected(exc):
    """Return whether requests failed before the connection was open, so no byte of the request was sent."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError) and exc.args:
        # requests wraps urllib3's MaxRetryError, whose reason is the failure of the one try.
        return isinstance(getattr(exc.args[0], "reason", None), NewConnectionError)
    return False


class ConnectorHttpClient:
    """HTTP client for one connection, with one requests.Session that keeps connections open.

    `timeout` is (connect, read) in seconds. The connect timeout is slightly above a multiple
    of 3 s, the TCP retransmission interval. `rate_limit_wait` is how long a call waits for the
    rate limiter before it fails with RateLimited. `name` identifies the connection in logs,
    and `label` (default: `name`) in the errors' support messages, which merchants read.
    """

    def __init__(
        self,
        name,
        base_url,
        auth=None,
        timeout=(3.05, 30),
        rate_limiter=None,
        circuit_breaker=None,
        default_headers=None,
        mask_fields=(),
        *,
        idempotency_header="Idempotency-Key",
        rate_limit_wait=30.0,
        error_parser=parse_field_errors,
        label=None,
    ):
        if not timeout:
            raise ValueError(f"timeout must be set for {name}, as seconds or (connect, read)")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base URL {base_url!r} of {name} must start with https:// or http://")

        self.name = name
        self.label = label or name
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.rate_limiter = rate_limiter
        self.circuit_breaker = circuit_breaker
        self.mask_fields = tuple(mask_fields)
        self.idempotency_header = idempotency_header
        self.rate_limit_wait = rate_limit_wait
        self.error_parser = error_parser
        self.session = requests.Session()
        self.session.auth = auth
        self.session.headers.update(default_headers or {})

    def close(self):
        self.session.close()

    def request(
        self,
        method,
        path,
        *,
        params=None,
        json=None,
        data=None,
        headers=None,
        idempotency_key=None,
        expected=SUCCESS,
        changes_remote=None,
    ):
        """Send one request and return the response, or raise the ConnectorError for its failure.

        `changes_remote` is whether the request may change data on the remote system, for
        recording_sends. By default only a safe method (GET, HEAD, OPTIONS) does not. An API
        that reads with POST, such as Odoo's, passes False for its reads.
        """
        method = method.upper()
        url = self._url(path)
        log_context = {"connection": self.name, "method": method, "path": mask_text(urlsplit(url).path)}

        if self.circuit_breaker and not self.circuit_breaker.allow():
            raise CircuitOpen(
                f"{method} {log_context['path']} not sent: circuit open",
                connection=self.label,
                url=self.base_url,
                retry_after=self.circuit_breaker.retry_after(),
                reset_timeout=self.circuit_breaker.reset_timeout,
            )
        if self.rate_limiter and not self.rate_limiter.acquire(timeout=self.rate_limit_wait):
            raise RateLimited(
                f"{method} {log_context['path']} not sent: local rate limit",
                connection=self.label,
                retry_after=1 / self.rate_limiter.rate_per_second,
            )

        headers = dict(headers or {})
        if idempotency_key:
            headers[self.idempotency_header] = idempotency_key
        logger.debug(
            "HTTP request started",
            extra={
                **log_context,
                "params": mask_mapping(params or {}, self.mask_fields),
                "headers": mask_mapping({**self.session.headers, **headers}, self.mask_fields),
            },
        )

        if changes_remote is None:
            changes_remote = method not in SAFE_METHODS
        sends = _send_record.get() or SendRecord()
        earlier = sends.sending(changes_remote)
        started = time.monotonic()
        try:
            response = self.session.request(
                method, url, params=params, json=json, data=data, headers=headers, timeout=self.timeout
            )
            if response.status_code in TURNED_AWAY_STATUSES and time.monotonic() - started < TURNED_AWAY_WITHIN_SECONDS:
                sends.may_have_reached = earlier
            error = None if response.status_code in expected else self.error_for_response(response)
        except requests.RequestException as exc:
            response = None
            if _never_connected(exc):
                sends.may_have_reached = earlier
            error = self._error_for_exception(exc, method, log_context["path"])
        duration_ms = round((time.monotonic() - started) * 1000, 1)
        status = response.status_code if response is not None else None

        self._record_health(error)
        if error is None:
            logger.info("HTTP request finished", extra={**log_context, "status": status, "duration_ms": duration_ms})
            return response

        logger.warning(
            "HTTP request failed",
            extra={**log_context, "status": status, "duration_ms": duration_ms, "error_code": error.code},
        )
        # `from None` drops the requests exception, because its text contains the full URL with
        # the query string, which may contain an API key. The error's own message names the cause.
        raise error from None

    def request_json(self, method, path, **kwargs):
        """Send one request and return its JSON body; raises InvalidResponse if it is not JSON."""
        response = self.request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise InvalidResponse(
                f"{method.upper()} {mask_text(urlsplit(response.url).path)} returned a body that is "
                f"not JSON (Content-Type {response.headers.get('Content-Type', '-')})",
                connection=self.label,
                status=response.status_code,
            ) from None

    def request_with_retries(self, method, path, *, policy=INTERACTIVE_POLICY, sleep=time.sleep, **kwargs):
        """Send a request, retrying by `policy` within its total window; raise the last error.

        A POST or PATCH is repeated only with an idempotency key, or when it was not sent,
        because after a timeout the remote system may already have applied it.
        """
        repeatable = method.upper() in IDEMPOTENT_METHODS or bool(kwargs.get("idempotency_key"))
        started = time.monotonic()
        attempt = 1
        while True:
            try:
                return self.request(method, path, **kwargs)
            except ConnectorError as error:
                elapsed = time.monotonic() - started
                if not (repeatable or isinstance(error, NOT_SENT_ERRORS)):
                    raise
                if not policy.should_retry(error, attempt, elapsed):
                    raise

                delay = policy.next_delay(attempt, error.retry_after)
                if elapsed + delay >= policy.total_window:
                    raise
                logger.warning(
                    "HTTP request retry scheduled",
                    extra={
                        "connection": self.name,
                        "method": method.upper(),
                        "path": mask_text(urlsplit(self._url(path)).path),
                        "attempt": attempt,
                        "delay_seconds": round(delay, 3),
                        "error_code": error.code,
                    },
                )
                sleep(delay)
                attempt += 1

    def error_for_response(self, response):
        """Return the ConnectorError for a response whose status was not expected."""
        status = response.status_code
        message = f"{response.request.method} {mask_text(urlsplit(response.url).path)} returned HTTP {status}"
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        common = {"connection": self.label, "status": status}

        if status in (401, 403):
            return AuthError(message, **common)
        if status == 404:
            return NotFound(message, **common)
        if status in (400, 422):
            try:
                field_errors = self.error_parser(response.json())
            except ValueError:
                field_errors = {}
            # Field names only: the remote's messages may repeat the rejected personal data.
            message += f" for fields {sorted(field_errors)}" if field_errors else ""
            return ValidationFailed(message, field_errors=field_errors, **common)
        if status == 409:
            return Conflict(message, retry_after=retry_after, **common)
        if status == 429:
            return RateLimited(message, retry_after=retry_after, **common)
        if status in (502, 503, 504):
            # 503 often carries Retry-After during maintenance.
            return Unavailable(message, retry_after=retry_after, **common)
        if status >= 500:
            return ServerError(message, retry_after=retry_after, **common)
        if status >= 400:
            return RequestRejected(message, **common)
        return InvalidResponse(message + ", which the caller does not expect", **common)

    def _error_for_exception(self, exc, method, path):
        cause = type(exc).__name__
        # ConnectTimeout is both a Timeout and a ConnectionError, so Timeout is checked first.
        if isinstance(exc, requests.Timeout):
            return Timeout(f"{method} {path} timed out ({cause})", connection=self.label)
        if isinstance(exc, (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
            return ConnectionFailed(f"{method} {path} failed to connect ({cause})", connection=self.label)
        return ConnectorError(f"{method} {path} failed before a response ({cause})", connection=self.label)

    def _record_health(self, error):
        if not self.circuit_breaker or isinstance(error, NOT_SENT_ERRORS):
            return
        if isinstance(error, UNHEALTHY_ERRORS):
            self.circuit_breaker.record_failure()
        else:
            self.circuit_breaker.record_success()

    def _url(self, path):
        """Join `path` to the base URL; absolute URLs (pagination links) must stay on its host."""
        if path.startswith(("http://", "https://")):
            if urlsplit(path)[:2] != urlsplit(self.base_url)[:2]:
                raise ValueError(
                    f"URL {mask_text(path)} is not on {self.name}'s host {urlsplit(self.base_url).netloc}; "
                    "Kontor does not send credentials to another host"
                )
            return path
        return f"{self.base_url}/{path.lstrip('/')}"
