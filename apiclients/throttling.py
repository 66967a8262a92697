"""Per-client throttling with a fixed-window counter in the Django cache (Redis in production).

A counter per client and window is one atomic INCR, so the cost does not grow with the rate,
unlike DRF's SimpleRateThrottle, which stores every request time in a list.
"""

import time

from django.conf import settings
from django.core.cache import cache
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


class ClientRateThrottle(BaseThrottle):
    def allow_request(self, request, view):
        client = request.auth
        if client is None:
            return True
        limit, period = parse_rate(client.throttle_rate or settings.API_DEFAULT_THROTTLE_RATE)
        now = time.time()
        window = int(now // period)
        key = f"api-throttle:{client.pk}:{period}:{window}"

        count = _count(key, period + 1)
        self._wait = (window + 1) * period - now
        return count <= limit

    def wait(self):
        return getattr(self, "_wait", None)


def _count(key, timeout):
    """Add one to the counter at `key` and return the new value. The first request sets the expiry."""
    if isinstance(cache, RedisCache):
        # One round trip instead of three (Django's add, and incr with its existence check).
        full_key = cache.make_and_validate_key(key)
        pipeline = cache._cache.get_client(full_key, write=True).pipeline()
        pipeline.incr(full_key)
        pipeline.expire(full_key, timeout, nx=True)
        return pipeline.execute()[0]

    # add() is a no-op when the key exists, so the first request of a window sets the expiry.
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:
        # The key expired between add() and incr(). This request opens the next window.
        cache.add(key, 1, timeout=timeout)
        return 1
