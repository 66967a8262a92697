"""Per-client throttling with a fixed-window counter in the Django cache (Redis in production).

A counter per client and window is one atomic INCR, so the cost does not grow with the rate,
unlike DRF's SimpleRateThrottle, which stores every request time in a list.
"""

import asyncio
import logging
import time
import weakref
from dataclasses import dataclass

import redis.asyncio
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)

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
        elif getattr(request, "api_counter_failed", False):
            # The fast path found the counter unreachable in this request and logged it.
            return True
        else:
            try:
                count = _count(window.key, window.timeout)
            except Exception as error:
                # The throttle protects the service, so while its counter is unreachable requests
                # are served rather than all failing with a 500.
                logger.warning("Throttle counter unreachable; request allowed", extra={"api_client_id": client.pk, "error": str(error)})
                return True
        self._wait = window.wait
        return count <= window.limit

    def wait(self):
        return getattr(self, "_wait", None)


# Counts a request and reads more keys in one command: redis-py spends about four times as
# much CPU on a pipeline of INCR, EXPIRE and MGET as on one EVALSHA. EXPIRE NX needs Redis 7.
COUNT_AND_READ_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1], 'NX')
if #KEYS == 1 then
    return {count, {}}
end
return {count, redis.call('MGET', unpack(KEYS, 2))}
"""
# Redis servers -> the registered script, whose client (thread-safe) keeps a pool of connections.
_scripts = {}
# Event loop -> {Redis servers -> the script registered on an asyncio client}. An asyncio
# client's connections belong to the loop that opened them, so each loop has its own.
_async_scripts = weakref.WeakKeyDictionary()


def count_and_read(key, timeout, read_keys=()):
    """Add one to the throttle counter `key` and read the cache keys `read_keys`, in one Redis round trip.

    Return (new count, [value or None per read key]). The first request of a window sets the
    counter's expiry. Needs the Redis cache backend.
    """
    redis_cache = caches[DEFAULT_CACHE_ALIAS]
    servers = tuple(redis_cache._cache._servers)
    script = _scripts.get(servers)
    if script is None:
        # get_client() builds a new client object on every call; one per process is enough.
        script = _scripts[servers] = redis_cache._cache.get_client(write=True).register_script(COUNT_AND_READ_SCRIPT)
    count, raw_values = script(keys=_cache_keys(redis_cache, [key, *read_keys]), args=[timeout])
    return count, _decode(redis_cache, raw_values)


async def count_and_read_async(key, timeout, read_keys=()):
    """count_and_read for code on an event loop: the same command, sent without blocking the loop."""
    redis_cache = caches[DEFAULT_CACHE_ALIAS]
    script = _async_script(redis_cache)
    count, raw_values = await script(keys=_cache_keys(redis_cache, [key, *read_keys]), args=[timeout])
    return count, _decode(redis_cache, raw_values)


async def read_async(keys):
    """Return {key: value} of the cache keys in `keys` that exist, read without blocking the loop."""
    redis_cache = caches[DEFAULT_CACHE_ALIAS]
    values = await _async_script(redis_cache).registered_client.mget(_cache_keys(redis_cache, keys))
    return {key: value for key, value in zip(keys, _decode(redis_cache, values), strict=True) if value is not None}


def _async_script(redis_cache):
    servers = tuple(redis_cache._cache._servers)
    scripts = _async_scripts.setdefault(asyncio.get_running_loop(), {})
    script = scripts.get(servers)
    if script is None:
        # The first server is the one Django's cache writes to, and the counter is a write.
        # The cache's socket timeouts apply here too, so a hung Redis cannot hold a request longer.
        timeouts = {name: value for name, value in redis_cache._options.items() if name in ("socket_timeout", "socket_connect_timeout")}
        script = scripts[servers] = redis.asyncio.Redis.from_url(servers[0], **timeouts).register_script(COUNT_AND_READ_SCRIPT)
    return script


def _cache_keys(redis_cache, names):
    """Return the Redis keys under which Django's cache keeps `names` (prefix and version added)."""
    # make_key() without validation: the check only warns about keys memcached would reject, and
    # these keys are Kontor's own ASCII names, so it would cost time on every request for nothing.
    return [redis_cache.make_key(name) for name in names]


def _decode(redis_cache, raw_values):
    loads = redis_cache._cache._serializer.loads
    return [None if value is None else loads(value) for value in raw_values]


def _count(key, timeout):
    """Add one to the counter at `key` and return the new value. The first request sets the expiry."""
    # `cache` is a proxy, so the type check needs the backend itself.
    if isinstance(caches[DEFAULT_CACHE_ALIAS], RedisCache):
        return count_and_read(key, timeout)[0]

    # add() is a no-op when the key exists, so the first request of a window sets the expiry.
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:
        # The key expired between add() and incr(). This request opens the next window.
        cache.add(key, 1, timeout=timeout)
        return 1
