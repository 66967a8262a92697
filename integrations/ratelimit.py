"""A rate limit per connection that all web and worker processes share.

With REDIS_URL set, the limit is a token bucket in Redis, updated by one Lua script so that
reading, refilling and taking a token are atomic across processes and machines. The bucket
contains at most `burst` tokens and refills at `rate_per_second`, so over any N seconds at most
rate_per_second * N + burst calls pass.

Without Redis (the embedded SQLite default) the limit falls back to Django's cache with fixed
windows of burst / rate_per_second seconds and `burst` slots each. It still holds across
processes, but it is coarser: two full windows back to back let up to 2 * burst calls through
in a short time.
"""

import functools
import logging
import math
import time

import redis
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

KEY_PREFIX = "kontor:ratelimit:"

# KEYS[1] bucket; ARGV rate per second, burst. Returns {1 if taken else 0, seconds to wait}.
# The script reads the Redis server clock, so workers on machines with skewed clocks agree.
# Times are whole microseconds and numbers are stored with 17 digits: with Lua's default
# 14 digits the rounding, clamped at 0 for calls close together, let the bucket refill faster.
_TOKEN_BUCKET_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1]) or burst
local updated = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - updated) / 1000000 * rate)
local taken = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'updated', string.format('%.0f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {taken, string.format('%.17g', wait)}
"""


@functools.cache
def redis_client(url):
    """Return one Redis client per URL and process; redis-py reconnects after a fork."""
    return redis.Redis.from_url(url)


class RateLimiter:
    """Token bucket `key` that lets `rate_per_second` calls through, with bursts up to `burst`."""

    def __init__(self, key, rate_per_second, burst, *, clock=time.monotonic, sleep=time.sleep):
        if rate_per_second <= 0:
            raise ValueError(f"rate_per_second must be above 0, got {rate_per_second}")
        if burst < 1:
            raise ValueError(f"burst must be 1 or more, got {burst}")
        self.key = key
        self.rate_per_second = float(rate_per_second)
        self.burst = int(burst)
        self._clock = clock
        self._sleep = sleep

    def try_acquire(self):
        """Take one token if there is one; never waits."""
        taken, _wait = self._take()
        return taken

    def acquire(self, timeout=None):
        """Take one token, waiting up to `timeout` seconds (None waits as long as needed).

        Returns False when no token became free within the timeout.
        """
        deadline = None if timeout is None else self._clock() + timeout
        while True:
            taken, wait = self._take()
            if taken:
                return True

            if deadline is not None:
                remaining = deadline - self._clock()
                if remaining <= 0:
                    return False
                wait = min(wait, remaining)
            # A short floor keeps many waiting workers from spinning on Redis.
            self._sleep(max(wait, 0.005))

    def _take(self):
        """Return (taken, seconds until a token is likely free)."""
        if settings.REDIS_URL:
            return self._take_redis()
        return self._take_cache()

    def _take_redis(self):
        client = redis_client(settings.REDIS_URL)
        taken, wait = client.eval(
            _TOKEN_BUCKET_SCRIPT, 1, KEY_PREFIX + self.key, self.rate_per_second, self.burst
        )
        return bool(taken), float(wait)

    def _take_cache(self):
        # Each window has `burst` slots, and a slot is taken with cache.add, which is atomic in
        # every Django cache backend (the database cache relies on the primary key). cache.incr
        # is not atomic in the database cache, so it only serves as a hint where to start.
        window_seconds = self.burst / self.rate_per_second
        now = time.time()
        window = math.floor(now / window_seconds)
        prefix = f"{KEY_PREFIX}{self.key}:{window}"
        lifetime = math.ceil(window_seconds) + 1

        start = cache.get(prefix + ":next", 0)
        for slot in range(start, self.burst):
            if cache.add(f"{prefix}:{slot}", 1, timeout=lifetime):
                cache.set(prefix + ":next", slot + 1, timeout=lifetime)
                return True, 0.0
        return False, (window + 1) * window_seconds - now
