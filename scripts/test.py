"""Run the test suite on PostgreSQL and Redis when each is reachable, else on SQLite or without Redis.

Prints one line saying which backend is used and why, then runs pytest with the extra
arguments passed through, as in `make test ARGS="-k outbox"`.
"""

import os
import subprocess
import sys
from urllib.parse import urlparse

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kontor"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def postgres_reachable(url):
    import psycopg

    parsed = urlparse(url)
    try:
        with psycopg.connect(
            host=parsed.hostname,
            port=parsed.port or 5432,
            user=parsed.username or "postgres",
            password=parsed.password,
            dbname="postgres",
            connect_timeout=3,
        ):
            return True, ""
    except psycopg.Error as error:
        return False, str(error).strip().splitlines()[0]


def redis_reachable(url):
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
        return True, ""
    except redis.RedisError as error:
        return False, str(error)


def main():
    env = dict(os.environ)
    database_url = env.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = env.get("REDIS_URL") or DEFAULT_REDIS_URL

    pg_ok, pg_reason = postgres_reachable(database_url)
    redis_ok, redis_reason = redis_reachable(redis_url)

    if pg_ok:
        env["DATABASE_URL"] = database_url
        backend = f"PostgreSQL ({urlparse(database_url).hostname})"
    else:
        env.pop("DATABASE_URL", None)
        backend = f"SQLite, because PostgreSQL is not reachable ({pg_reason}); PostgreSQL-only tests are skipped"

    if redis_ok:
        env["REDIS_URL"] = redis_url
        cache = "Redis"
    else:
        env.pop("REDIS_URL", None)
        cache = f"the database as cache and broker, because Redis is not reachable ({redis_reason})"

    print(f"Testing on {backend}, with {cache}.")

    env.setdefault("SANDBOX_ENABLED", "true")
    env.setdefault("DEBUG", "false")
    env.setdefault("SECRET_KEY", "kontor-test-secret-key")
    env.setdefault("CREDENTIALS_KEY", "")
    command = [sys.executable, "-m", "pytest", *sys.argv[1:]]
    sys.exit(subprocess.call(command, env=env))


if __name__ == "__main__":
    main()
