"""Per-client throttling with a fixed-window counter in the Django cache (Redis in production).

A counter per client and window is one atomic INCR, so the cost does not grow with the rate,
unlike DRF's SimpleRateThrottle, which stores every request time in a list.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import BaseThrottle

PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(rate):
    """Parse '600/min' into (600, 60). Raise ValueError for anything else."""
    count, _sep, period = (rate or "").partition("/")
    seconds = PERIODS.get(period.strip().lower())
    if not count.strip().isdigit() or seconds is None:
        raise ValueError(f"Invalid throttle rate {rate!r}; use a form such as 600/min or 20/s.")
    return int(count), seconds


@dataclass(frozen=True)
class Window:
    """The counter of one client in the current fixed window."""

    key: str
    limit: int
    period: int
    wait: float

    @property
    def timeout(self):
        """Seconds the counter lives: one more than the window, so it outlives the window's last request."""
        return self.period + 1


def current_window(client, now=None):
    limit, period = parse_rate(client.throttle_rate or settings.API_DEFAULT_THROTTLE_RATE)
    now = time.time() if now is None else now
    window = int(now // period)
    return Window(f"api-throttle:{client.pk}:{period}:{window}", limit, period, (window + 1) * period - now)


class ClientRateThrottle(BaseThrottle):
    def allow_request(self, request, view):
        client = request.auth
        if client is None:
            return True
        window = current_window(client)

        # The fast path (apiclients.fastpath) may have counted this request already, in the
        # Redis round trip that also read the cached response, before it handed the request on.
        counted = getattr(request, "api_throttle_count", None)
        if counted is not None and counted[0] == window.key:
            count = counted[1]
        else:
            count = _count(window.key, window.timeout)
        self._wait = window.wait
        return count <= window.limit

    def wait(self):
        return getattr(self, "_wait", None)


def count_in_pipeline(pipeline, key, timeout):
    """Queue INCR and, for the first request of the window, EXPIRE of counter `key` on a Redis pipeline.

    The pipeline must come from the cache's Redis client. The INCR's result is the new count.
    """
    full_key = cache.make_and_validate_key(key)
    pipeline.incr(full_key)
    pipeline.expire(full_key, timeout, nx=True)


def _count(key, timeout):
    """Add one to the counter at `key` and return the new value. The first request sets the expiry."""
    # `cache` is a proxy, so the type check needs the backend itself.
    if isinstance(caches[DEFAULT_CACHE_ALIAS], RedisCache):
        # One round trip instead of three (Django's add, and incr with its existence check).
        pipeline = cache._cache.get_client(write=True).pipeline()
        count_in_pipeline(pipeline, key, timeout)
        return pipeline.execute()[0]

    # add() is a no-op when the key exists, so the first request of a window sets the expiry.
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:
        # The key expired between add() and incr(). This request opens the next window.
        cache.add(key, 1, timeout=timeout)
        return 1
