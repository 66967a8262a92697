import uuid
from datetime import UTC, datetime

import pytest
from django.conf import settings as django_settings

from integrations.circuit import CLOSED, HALF_OPEN, OPEN, CircuitBreaker


class FakeClock:
    """A clock the test moves by hand, in Unix seconds."""

    def __init__(self, now=1_780_000_000.0):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture(params=["redis", "cache"])
def store(request, settings):
    """Run each test against Redis and against the Django cache fallback."""
    if request.param == "redis":
        if not django_settings.REDIS_URL:
            pytest.skip("needs Redis; the suite runs without REDIS_URL")
    else:
        settings.REDIS_URL = ""
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    return request.param


def breaker(clock, threshold=3, reset_timeout=30.0):
    return CircuitBreaker(f"test-{uuid.uuid4().hex}", failure_threshold=threshold, reset_timeout=reset_timeout, clock=clock)


def test_new_circuit_is_closed(store):
    circuit = breaker(FakeClock())

    assert circuit.state == CLOSED
    assert circuit.allow() is True
    assert circuit.opened_at is None
    assert circuit.retry_after() == 0.0


def test_opens_at_failure_threshold(store):
    clock = FakeClock()
    circuit = breaker(clock, threshold=3)

    circuit.record_failure()
    circuit.record_failure()
    assert circuit.state == CLOSED
    assert circuit.allow() is True

    circuit.record_failure()

    assert circuit.state == OPEN
    assert circuit.allow() is False
    assert circuit.opened_at == datetime.fromtimestamp(clock.now, UTC)
    assert circuit.retry_after() == 30.0


def test_success_resets_failure_count(store):
    circuit = breaker(FakeClock(), threshold=3)

    circuit.record_failure()
    circuit.record_failure()
    circuit.record_success()
    circuit.record_failure()
    circuit.record_failure()

    assert circuit.state == CLOSED


def test_open_becomes_half_open_after_timeout(store):
    clock = FakeClock()
    circuit = breaker(clock, threshold=1, reset_timeout=30.0)
    circuit.record_failure()

    clock.advance(29.9)
    assert circuit.allow() is False
    assert circuit.state == OPEN

    clock.advance(0.1)
    assert circuit.state == HALF_OPEN


def test_half_open_lets_one_probe_through(store):
    clock = FakeClock()
    circuit = breaker(clock, threshold=1, reset_timeout=30.0)
    circuit.record_failure()
    clock.advance(30.0)

    # a second instance stands for another worker process
    other_worker = CircuitBreaker(circuit.key, failure_threshold=1, reset_timeout=30.0, clock=clock)

    assert circuit.allow() is True
    assert other_worker.allow() is False
    assert circuit.state == HALF_OPEN


def test_probe_success_closes(store):
    clock = FakeClock()
    circuit = breaker(clock, threshold=1)
    circuit.record_failure()
    clock.advance(30.0)
    circuit.allow()

    circuit.record_success()

    assert circuit.state == CLOSED
    assert circuit.allow() is True
    assert circuit.opened_at is None


def test_probe_failure_reopens(store):
    clock = FakeClock()
    circuit = breaker(clock, threshold=2, reset_timeout=30.0)
    circuit.record_failure()
    circuit.record_failure()
    clock.advance(31.0)
    assert circuit.allow() is True

    circuit.record_failure()

    assert circuit.state == OPEN
    assert circuit.allow() is False
    assert circuit.opened_at == datetime.fromtimestamp(clock.now, UTC)
    assert circuit.retry_after() == 30.0


def test_probe_of_dead_worker_expires(store):
    clock = FakeClock()
    circuit = breaker(clock, threshold=1, reset_timeout=30.0)
    circuit.record_failure()
    clock.advance(30.0)
    assert circuit.allow() is True

    # the probing worker dies without recording anything
    clock.advance(29.0)
    assert circuit.allow() is False
    clock.advance(1.0)

    assert circuit.allow() is True


def test_failures_while_open_keep_opened_at(store):
    clock = FakeClock()
    circuit = breaker(clock, threshold=1, reset_timeout=30.0)
    circuit.record_failure()
    opened_at = circuit.opened_at

    clock.advance(10.0)
    circuit.record_failure()

    assert circuit.opened_at == opened_at
    assert circuit.retry_after() == 20.0


def test_reset_closes(store):
    circuit = breaker(FakeClock(), threshold=1)
    circuit.record_failure()

    circuit.reset()

    assert circuit.state == CLOSED


def test_rejects_threshold_zero():
    with pytest.raises(ValueError, match="failure_threshold must be 1 or more, got 0"):
        CircuitBreaker("x", failure_threshold=0)
