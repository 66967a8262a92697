"""Counts of the framework HTTP client's calls per connection, for the /metrics endpoint.

integrations/http.py logs every call it makes with the connection, status and duration in the
record's `extra` ("HTTP request finished" and "HTTP request failed"). HttpCallRecorder is a
logging handler that MonitoringConfig.ready() attaches to that logger when REDIS_URL is set. It
adds each call to counters in Django's cache, which is then Redis, so all web and worker
processes add up. The embedded default (database cache) counts nothing, because a cache write
per HTTP call would compete with the sync work for SQLite's single write lock.

NOTE: a call is counted only when the record is created, which needs INFO enabled on the
"integrations.http" logger (the default LOG_LEVEL=INFO). Calls made outside that client, such as
alert webhooks, are not counted.
"""

import logging
from urllib.parse import quote

from django.conf import settings
from django.core.cache import cache

LOGGER_NAME = "integrations.http"
MESSAGES = {"HTTP request finished", "HTTP request failed"}

# Upper bounds in seconds of the duration histogram buckets.
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx", "none")

KEY_PREFIX = "monitoring:http:"


def status_class(status):
    """Return 2xx, 4xx ... for an HTTP status, or none when no response arrived."""
    return f"{int(status) // 100}xx" if status else "none"


def _key(connection, name):
    # Client names outside connections (tests, ad-hoc clients) may contain spaces.
    return f"{KEY_PREFIX}{quote(str(connection), safe='')}:{name}"


def _increment(key, amount=1):
    # add() creates the counter only if it is missing, so a concurrent first call is not lost.
    cache.add(key, 0, timeout=None)
    cache.incr(key, amount)


def record_http_call(connection, status, duration_seconds):
    """Add one call of `connection` (its slug) to the shared counters."""
    _increment(_key(connection, f"status:{status_class(status)}"))
    _increment(_key(connection, "sum_ms"), round(duration_seconds * 1000))
    for bound in DURATION_BUCKETS:
        if duration_seconds <= bound:
            # Buckets are stored non-cumulative; the collector adds them up.
            _increment(_key(connection, f"bucket:{bound}"))
            break
    else:
        _increment(_key(connection, "bucket:inf"))


def read_http_calls(connections):
    """Return {slug: {"status": {class: n}, "buckets": [n per bound, then inf], "sum_seconds": s}}."""
    names = [f"status:{name}" for name in STATUS_CLASSES] + [f"bucket:{bound}" for bound in DURATION_BUCKETS]
    names += ["bucket:inf", "sum_ms"]
    keys = [_key(connection, name) for connection in connections for name in names]
    values = cache.get_many(keys)
    result = {}
    for connection in connections:
        counts = {name: int(values.get(_key(connection, name), 0)) for name in names}
        result[connection] = {
            "status": {name: counts[f"status:{name}"] for name in STATUS_CLASSES},
            "buckets": [counts[f"bucket:{bound}"] for bound in DURATION_BUCKETS] + [counts["bucket:inf"]],
            "sum_seconds": counts["sum_ms"] / 1000,
        }
    return result


class HttpCallRecorder(logging.Handler):
    """Logging handler that records the framework HTTP client's calls as metrics."""

    def emit(self, record):
        if record.msg not in MESSAGES or not hasattr(record, "connection"):
            return
        try:
            record_http_call(record.connection, getattr(record, "status", None), getattr(record, "duration_ms", 0) / 1000)
        except Exception:  # noqa: BLE001 (a metrics failure must never fail the HTTP call it counts)
            self.handleError(record)


def install():
    """Attach the recorder to the HTTP client's logger once per process, when Redis is configured."""
    if not settings.REDIS_URL:
        return
    logger = logging.getLogger(LOGGER_NAME)
    if not any(isinstance(handler, HttpCallRecorder) for handler in logger.handlers):
        logger.addHandler(HttpCallRecorder())
