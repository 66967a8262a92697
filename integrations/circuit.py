"""A circuit breaker per connection, shared by all processes through Redis or Django's cache.

closed: calls pass; consecutive failures are counted and `failure_threshold` of them open it.
open: calls are blocked for `reset_timeout` seconds, so a system that is down is not hammered
    by every worker and its backlog waits in the outbox instead.
half-open: after the timeout one worker may send a probe; its success closes the circuit and
    its failure opens it again. The probe slot expires after `reset_timeout`, so a probe whose
    worker died does not keep the circuit half-open for ever.

Only failures that show the remote system is unhealthy (5xx, timeouts, connection errors)
should be recorded as failures; a 4xx is an answer from a healthy system.
"""

import json
import time
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache

from integrations.ratelimit import redis_client

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half-open"

KEY_PREFIX = "kontor:circuit:"

# Seconds an open circuit blocks calls before it lets a probe through. CircuitOpen states this
# wait in its support message.
DEFAULT_RESET_TIMEOUT_SECONDS = 60.0

# Each script takes KEYS[1] (a hash with state, failures, opened_at, probe_until) and the
# caller's clock as ARGV[1], so tests can drive the clock and all processes share one state.
_ALLOW_SCRIPT = """
local now = tonumber(ARGV[1])
local reset_timeout = tonumber(ARGV[2])
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
if state == 'closed' then return 1 end
local opened_at = tonumber(redis.call('HGET', KEYS[1], 'opened_at') or '0')
local probe_until = tonumber(redis.call('HGET', KEYS[1], 'probe_until') or '0')
if state == 'open' and now < opened_at + reset_timeout then return 0 end
if state == 'half-open' and now < probe_until then return 0 end
redis.call('HSET', KEYS[1], 'state', 'half-open', 'probe_until', tostring(now + reset_timeout))
return 1
"""

_FAILURE_SCRIPT = """
local now = ARGV[1]
local threshold = tonumber(ARGV[2])
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
if state == 'half-open' then
  redis.call('HSET', KEYS[1], 'state', 'open', 'opened_at', now, 'failures', threshold)
  return
end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if state == 'closed' and failures >= threshold then
  redis.call('HSET', KEYS[1], 'state', 'open', 'opened_at', now)
end
"""


class CircuitBreaker:
    """Breaker `key` that opens after `failure_threshold` consecutive failures."""

    def __init__(self, key, failure_threshold=5, reset_timeout=DEFAULT_RESET_TIMEOUT_SECONDS, *, clock=time.time):
        if failure_threshold < 1:
            raise ValueError(f"failure_threshold must be 1 or more, got {failure_threshold}")
        self.key = key
        self.failure_threshold = int(failure_threshold)
        self.reset_timeout = float(reset_timeout)
        self._clock = clock

    def allow(self):
        """Return whether a call may go out now; in half-open, only the one probe may."""
        now = self._clock()
        if self._redis():
            return bool(self._redis().eval(_ALLOW_SCRIPT, 1, self._key, now, self.reset_timeout))

        data = self._load()
        if data["state"] == CLOSED:
            return True
        if data["state"] == OPEN and now < data["opened_at"] + self.reset_timeout:
            return False
        if data["state"] == HALF_OPEN and now < data["probe_until"]:
            return False
        data.update(state=HALF_OPEN, probe_until=now + self.reset_timeout)
        self._store(data)
        return True

    def record_success(self):
        """Close the circuit and forget earlier failures."""
        if self._redis():
            self._redis().delete(self._key)
        else:
            cache.delete(self._key)

    def record_failure(self):
        """Count a failure; open the circuit at the threshold or when the probe failed."""
        now = self._clock()
        if self._redis():
            self._redis().eval(_FAILURE_SCRIPT, 1, self._key, now, self.failure_threshold)
            return

        data = self._load()
        if data["state"] == HALF_OPEN:
            data.update(state=OPEN, opened_at=now)
        else:
            data["failures"] += 1
            if data["state"] == CLOSED and data["failures"] >= self.failure_threshold:
                data.update(state=OPEN, opened_at=now)
        self._store(data)

    def reset(self):
        """Close the circuit by hand, for example from the admin after the remote is fixed."""
        self.record_success()

    @property
    def state(self):
        """closed, open or half-open; an open circuit past its timeout reads as half-open."""
        data = self._load()
        if data["state"] == OPEN and self._clock() >= data["opened_at"] + self.reset_timeout:
            return HALF_OPEN
        return data["state"]

    @property
    def opened_at(self):
        """When the circuit last opened, as an aware UTC datetime, or None while closed."""
        data = self._load()
        if data["state"] == CLOSED:
            return None
        return datetime.fromtimestamp(data["opened_at"], UTC)

    def retry_after(self):
        """Return the seconds until the circuit lets a probe through (0 if it would now)."""
        data = self._load()
        if data["state"] == CLOSED:
            return 0.0
        until = data["opened_at"] + self.reset_timeout
        if data["state"] == HALF_OPEN:
            until = data["probe_until"]
        return max(0.0, until - self._clock())

    @property
    def _key(self):
        return KEY_PREFIX + self.key

    def _redis(self):
        return redis_client(settings.REDIS_URL) if settings.REDIS_URL else None

    def _load(self):
        if self._redis():
            raw = {k.decode(): v.decode() for k, v in self._redis().hgetall(self._key).items()}
        else:
            raw = json.loads(cache.get(self._key) or "{}")
        return {
            "state": raw.get("state", CLOSED),
            "failures": int(raw.get("failures", 0)),
            "opened_at": float(raw.get("opened_at", 0)),
            "probe_until": float(raw.get("probe_until", 0)),
        }

    def _store(self, data):
        # The cache fallback is not atomic: two processes may both send a probe. That costs
        # one extra request to a recovering system, which is acceptable without Redis.
        cache.set(self._key, json.dumps(data), timeout=None)
