import multiprocessing
import time
import uuid

import pytest
from django.conf import settings
from django.core.management import call_command

from integrations.ratelimit import RateLimiter

needs_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis; the suite runs without REDIS_URL")


def unique_key():
    return f"test-{uuid.uuid4().hex}"


@needs_redis
def test_redis_bucket_allows_burst_then_rejects():
    limiter = RateLimiter(unique_key(), rate_per_second=1, burst=3)

    results = [limiter.try_acquire() for _ in range(5)]

    assert results == [True, True, True, False, False]


@needs_redis
def test_redis_bucket_refills_at_rate():
    limiter = RateLimiter(unique_key(), rate_per_second=20, burst=1)
    assert limiter.try_acquire() is True
    assert limiter.try_acquire() is False

    time.sleep(0.06)

    assert limiter.try_acquire() is True


@needs_redis
def test_redis_bucket_shared_between_instances():
    key = unique_key()
    first = RateLimiter(key, rate_per_second=0.1, burst=2)
    second = RateLimiter(key, rate_per_second=0.1, burst=2)

    assert first.try_acquire() is True
    assert second.try_acquire() is True
    assert first.try_acquire() is False
    assert second.try_acquire() is False


@needs_redis
def test_acquire_waits_for_token():
    limiter = RateLimiter(unique_key(), rate_per_second=10, burst=1)
    limiter.try_acquire()

    started = time.monotonic()
    assert limiter.acquire(timeout=1.0) is True
    waited = time.monotonic() - started

    assert 0.05 < waited < 0.5


@needs_redis
def test_acquire_times_out():
    limiter = RateLimiter(unique_key(), rate_per_second=0.1, burst=1)
    limiter.try_acquire()

    started = time.monotonic()
    assert limiter.acquire(timeout=0.1) is False

    assert time.monotonic() - started < 0.5


def take_tokens(key, rate, burst, start_at, duration, results):
    """Take tokens as fast as possible from start_at for duration seconds, in a child process.

    Puts the wall-clock time after each granted call. Redis granted the token no later than
    that, which makes these times safe upper bounds even if the process was descheduled.
    """
    limiter = RateLimiter(key, rate_per_second=rate, burst=burst)
    while time.time() < start_at:
        time.sleep(0.001)
    granted_at = []
    while time.time() < start_at + duration:
        if limiter.try_acquire():
            granted_at.append(time.time())
    results.put(granted_at)


@needs_redis
def test_rate_limit_holds_across_two_processes():
    # given one bucket of 20 per second with a burst of 5, and two processes using it
    key, rate, burst, duration = unique_key(), 20, 5, 2.0
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    start_at = time.time() + 0.5
    workers = [
        context.Process(target=take_tokens, args=(key, rate, burst, start_at, duration, results))
        for _ in range(2)
    ]

    # when both take tokens as fast as they can for two seconds
    for worker in workers:
        worker.start()
    per_process = [results.get(timeout=10) for _ in workers]
    for worker in workers:
        worker.join(timeout=5)

    # then at every moment t the two together got at most rate * (t - start) + burst tokens
    assert [worker.exitcode for worker in workers] == [0, 0]
    granted = sorted(per_process[0] + per_process[1])
    for count, granted_at in enumerate(granted, start=1):
        assert count <= rate * (granted_at - start_at) + burst, (count, granted_at - start_at)
    # Either process alone could take 45 tokens, so a total near 45 shows the bucket is shared.
    assert 0.9 * (rate * duration + burst) <= len(granted) <= rate * (granted[-1] - start_at) + burst
    assert min(len(times) for times in per_process) > 0


def test_rejects_invalid_configuration():
    with pytest.raises(ValueError, match="rate_per_second must be above 0, got 0"):
        RateLimiter("x", rate_per_second=0, burst=1)
    with pytest.raises(ValueError, match="burst must be 1 or more, got 0"):
        RateLimiter("x", rate_per_second=1, burst=0)


@pytest.mark.django_db
def test_cache_fallback_allows_burst_per_window(settings):
    # given no Redis and the database cache of the embedded default
    settings.REDIS_URL = ""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "test_ratelimit_cache"}}
    call_command("createcachetable", verbosity=0)
    # a window of 3 / 0.01 = 300 seconds, so the test cannot cross a window boundary in practice
    limiter = RateLimiter(unique_key(), rate_per_second=0.01, burst=3)

    results = [limiter.try_acquire() for _ in range(5)]

    assert results == [True, True, True, False, False]


@pytest.mark.django_db
def test_cache_fallback_shared_between_instances(settings):
    settings.REDIS_URL = ""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "test_ratelimit_cache"}}
    call_command("createcachetable", verbosity=0)
    key = unique_key()

    first = RateLimiter(key, rate_per_second=0.01, burst=2)
    second = RateLimiter(key, rate_per_second=0.01, burst=2)

    assert [first.try_acquire(), second.try_acquire(), second.try_acquire(), first.try_acquire()] == [True, True, False, False]


def test_cache_fallback_next_window_allows_again(settings):
    settings.REDIS_URL = ""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    limiter = RateLimiter(unique_key(), rate_per_second=50, burst=1)

    # the window is 20 ms long: at most one token per window
    first_window = [limiter.try_acquire(), limiter.try_acquire()]
    time.sleep(0.025)
    second_window = limiter.try_acquire()

    assert first_window.count(True) >= 1
    assert second_window is True
