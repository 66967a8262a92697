"""Kontor's one retry policy for calls to external systems.

What is retried, and why:
- connection errors and timeouts, because the network or the remote process recovers;
- 5xx, because the remote system failed, not the request;
- 409, because it means a concurrent change or lock at the remote that clears by itself;
- 429, but never sooner than its Retry-After, because retrying earlier is rejected again
  and some providers block a client that ignores the header.

What is not retried: every other 4xx (401, 403, 404, 400, 422 ...), because the same
request fails the same way until a person fixes credentials, data or a mapping. It becomes
a sync error at once. Unknown exceptions are bugs in Kontor and are not retried either.

The backoff is exponential with full jitter: the wait before retry n is a uniform random
value in [0, min(cap, base * 2 ** (n - 1))]. The jitter spreads the retries of many workers
that failed together, so a remote system that comes back is not hit by all of them at once.
"""

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from integrations.errors import ConnectorError


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff curve and limits for one kind of caller; all times are in seconds."""

    base: float
    cap: float
    max_attempts: int
    # No retry is scheduled later than this after the first attempt. Past it the failure is
    # shown as a sync error, so support sees it the same day instead of a silent backlog.
    total_window: float = 3600.0
    rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def next_delay(self, attempt, retry_after=None):
        """Return the wait before the attempt after `attempt` (1 = the first attempt failed).

        The value is never less than `retry_after`, even if that is above the cap, because the remote system stated when it accepts requests again.
        """
        if attempt < 1:
            raise ValueError(f"attempt must be 1 or more, got {attempt}")
        ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
        delay = self.rng.uniform(0, ceiling)
        if retry_after is not None:
            delay = max(delay, float(retry_after))
        return delay

    def should_retry(self, error, attempt, elapsed=0.0):
        """Return whether the call that failed with `error` on attempt `attempt` is tried again.

        `elapsed` is the time since the first attempt; no retry is scheduled whose earliest
        start (its Retry-After, if any) falls outside the total window.
        """
        if not isinstance(error, ConnectorError) or not error.retryable:
            return False
        if attempt >= self.max_attempts:
            return False
        earliest = elapsed + (error.retry_after or 0.0)
        return earliest < self.total_window

    def next_attempt_at(self, error, attempt, first_attempt_at, now=None):
        """Return when to make the next attempt as an aware UTC datetime, or None to give up."""
        now = now or datetime.now(UTC)
        elapsed = (now - first_attempt_at).total_seconds()
        if not self.should_retry(error, attempt, elapsed):
            return None
        return now + timedelta(seconds=self.next_delay(attempt, error.retry_after))


# Outbox deliveries and queued pushes. 30 attempts ride out an ERP that is down for an hour.
# The waits double from 2 s to the 15-minute cap: at most 1022 s + 20 * 900 s (about 5.3 hours)
# and about 2.6 hours on average. So a message placed at the start of such an outage is still
# retried when the system returns. While the circuit breaker is open, messages are handed back
# without counting an attempt. Past 30 attempts or 6 hours a message ends as a sync error with
# a retry button.
DELIVERY_POLICY = RetryPolicy(base=2.0, cap=900.0, max_attempts=30, total_window=6 * 3600.0)

# A message of an ordered stream (orders to Odoo) that failed because the remote system could
# take no request blocks the newer messages of its stream until it goes through. So it is tried
# again at most 30 s apart, and the stream moves soon after the system returns. While the
# circuit breaker is open, the message is handed back without counting an attempt, so an outage
# costs about one attempt a minute (the breaker's probe). The six hours end the wait, not the
# attempts, as for DELIVERY_POLICY.
HELD_STREAM_POLICY = RetryPolicy(base=2.0, cap=30.0, max_attempts=10_000, total_window=6 * 3600.0)

# Calls that someone or something waits for: admin "Test connection", pulling one page of a
# delta. Three attempts within 20 seconds, because a person would rather see the error.
INTERACTIVE_POLICY = RetryPolicy(base=0.5, cap=5.0, max_attempts=3, total_window=20.0)


def parse_retry_after(value, now=None):
    """Parse a Retry-After header (delay in seconds or an HTTP date) into seconds from now.

    Returns None for a missing or unreadable value and 0.0 for a date in the past.
    """
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        # RFC 9110 dates are always GMT; "-0000" parses to a naive datetime.
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())
