"""Shared HTTP plumbing per connection: one client, one rate limiter and one circuit breaker.

The limiter and the breaker live in Redis (or Django's cache), keyed by the connection id, so
every web and worker process that calls a connection shares them.
"""

from integrations.circuit import CircuitBreaker
from integrations.http import ConnectorHttpClient
from integrations.ratelimit import RateLimiter

# A delivery worker waits this long for a rate-limit token before it hands the message back
# to the outbox with a short delay, so one busy connection cannot hold all workers of a lane.
DELIVERY_RATE_LIMIT_WAIT_SECONDS = 5.0

_clients = {}


def rate_limiter_for(connection):
    return RateLimiter(
        f"connection:{connection.pk}",
        rate_per_second=float(connection.rate_limit_per_second),
        burst=connection.rate_limit_burst,
    )


def circuit_breaker_for(connection):
    return CircuitBreaker(f"connection:{connection.pk}")


def http_client_for(connection, **options):
    """Return this process's HTTP client for a connection, built once per connection settings.

    `options` go to ConnectorHttpClient (auth, default_headers, mask_fields, timeout ...). The
    client is rebuilt when the connection was saved since, so new credentials take effect.
    """
    cache_key = (connection.pk, connection.updated_at, tuple(sorted(options)))
    client = _clients.get(cache_key)
    if client is None:
        options.setdefault("rate_limit_wait", DELIVERY_RATE_LIMIT_WAIT_SECONDS)
        client = ConnectorHttpClient(
            connection.slug,
            connection.base_url,
            label=connection.name,
            rate_limiter=rate_limiter_for(connection),
            circuit_breaker=circuit_breaker_for(connection),
            **options,
        )
        _clients[cache_key] = client
    return client
