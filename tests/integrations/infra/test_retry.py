import random
from datetime import UTC, datetime, timedelta

import pytest

from integrations.errors import (
    AuthError,
    Conflict,
    ConnectionFailed,
    NotFound,
    RateLimited,
    RequestRejected,
    ServerError,
    Timeout,
    ValidationFailed,
)
from integrations.retry import DELIVERY_POLICY, RetryPolicy, parse_retry_after


def policy(**overrides):
    values = {"base": 2.0, "cap": 60.0, "max_attempts": 5, "total_window": 600.0, "rng": random.Random(7)}
    values.update(overrides)
    return RetryPolicy(**values)


def test_next_delay_stays_within_exponential_ceiling():
    # given a policy with base 2 s and cap 60 s
    retry = policy()

    # when many delays are drawn per attempt
    for attempt, ceiling in [(1, 2.0), (2, 4.0), (3, 8.0), (5, 32.0), (6, 60.0), (20, 60.0)]:
        delays = [retry.next_delay(attempt) for _ in range(2000)]

        # then each stays in [0, ceiling] and the jitter covers the whole range
        assert min(delays) >= 0.0
        assert max(delays) <= ceiling
        assert min(delays) < ceiling * 0.05
        assert max(delays) > ceiling * 0.95


def test_next_delay_jitter_is_roughly_uniform():
    retry = policy()

    delays = [retry.next_delay(4) for _ in range(5000)]

    # full jitter on a ceiling of 16 s has a mean of 8 s
    assert 7.5 < sum(delays) / len(delays) < 8.5


def test_next_delay_never_below_retry_after():
    retry = policy(cap=10.0)

    for attempt in range(1, 8):
        assert retry.next_delay(attempt, retry_after=30) >= 30.0
    assert retry.next_delay(1, retry_after=0.5) >= 0.5


def test_next_delay_rejects_attempt_zero():
    with pytest.raises(ValueError, match="attempt must be 1 or more, got 0"):
        policy().next_delay(0)


@pytest.mark.parametrize(
    "error",
    [ServerError(status=503), Timeout(), ConnectionFailed(), Conflict(status=409), RateLimited(status=429, retry_after=5)],
)
def test_should_retry_transient_errors(error):
    assert policy().should_retry(error, attempt=1) is True


@pytest.mark.parametrize(
    "error",
    [AuthError(status=401), AuthError(status=403), NotFound(status=404), ValidationFailed(status=422), RequestRejected(status=405)],
)
def test_should_retry_stops_on_4xx(error):
    assert policy().should_retry(error, attempt=1) is False


def test_should_retry_stops_on_unknown_exception():
    assert policy().should_retry(KeyError("x"), attempt=1) is False


def test_should_retry_stops_at_max_attempts():
    retry = policy(max_attempts=3)

    assert retry.should_retry(ServerError(), attempt=2) is True
    assert retry.should_retry(ServerError(), attempt=3) is False


def test_should_retry_stops_outside_total_window():
    retry = policy(total_window=100.0)

    assert retry.should_retry(ServerError(), attempt=1, elapsed=99.0) is True
    assert retry.should_retry(ServerError(), attempt=1, elapsed=100.0) is False
    # a Retry-After that ends past the window is not waited for
    assert retry.should_retry(RateLimited(retry_after=50), attempt=1, elapsed=60.0) is False


def test_next_attempt_at_honours_retry_after():
    retry = policy()
    first = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    now = first + timedelta(seconds=10)

    when = retry.next_attempt_at(RateLimited(retry_after=120), attempt=1, first_attempt_at=first, now=now)

    assert when >= now + timedelta(seconds=120)
    assert when.tzinfo is UTC


def test_next_attempt_at_none_for_4xx():
    first = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

    assert policy().next_attempt_at(ValidationFailed(), attempt=1, first_attempt_at=first, now=first) is None


def test_delivery_policy_worst_case_fits_window():
    # the sum of all delay ceilings is the longest a message can wait between attempts
    worst = sum(min(DELIVERY_POLICY.cap, DELIVERY_POLICY.base * 2 ** (n - 1)) for n in range(1, DELIVERY_POLICY.max_attempts))

    assert worst == 19022.0
    assert worst < DELIVERY_POLICY.total_window


def test_delivery_policy_rides_out_hour():
    # With full jitter each wait averages half its ceiling. An ERP down for an hour must not use
    # up a message's attempts on average, with a wide margin for the jitter of 20 capped waits.
    average = sum(min(DELIVERY_POLICY.cap, DELIVERY_POLICY.base * 2 ** (n - 1)) / 2 for n in range(1, DELIVERY_POLICY.max_attempts))

    assert average > 2 * 3600
    assert DELIVERY_POLICY.total_window > 3600


def test_parse_retry_after_seconds():
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 0 ") == 0.0


def test_parse_retry_after_http_date():
    now = datetime(2026, 3, 1, 10, 0, 0, tzinfo=UTC)

    assert parse_retry_after("Sun, 01 Mar 2026 10:01:30 GMT", now=now) == 90.0
    assert parse_retry_after("Sun, 01 Mar 2026 09:00:00 GMT", now=now) == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5"])
def test_parse_retry_after_unreadable(value):
    assert parse_retry_after(value) is None
