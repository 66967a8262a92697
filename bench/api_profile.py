"""Time product detail and filtered list requests in-process and count their queries.

Uses Django's test client against a database seeded by bench/api_seed.py, so the figures
leave out gunicorn and the network. Each kind runs --rounds random requests (nearly all
cache misses), then the same requests again (cache hits), and reports wall and CPU time.
--full-stack takes the fast path for cached reads out of the middleware, to compare.
--profile prints a pyinstrument profile of the requests.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kontor_api_bench SECRET_KEY=bench \
        .venv/bin/python bench/api_profile.py --token "$(tail -1 /tmp/bench_token.txt)"
"""

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def detail_path(rng, products):
    return f"/api/v1/products/{rng.randint(1, products)}/"


def list_path(rng, _products):
    low = rng.randint(5, 400)
    return f"/api/v1/products/?category=dept-{rng.randint(0, 9)}&in_stock=true&price_min={low}&price_max={low + 100}&page_size=20"


def measure(client, token, make_path, rounds, products, seed=7):
    rng = random.Random(seed)
    rows = []
    for _round in range(rounds):
        path = make_path(rng, products)
        with CaptureQueriesContext(connection) as queries:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
            elapsed, cpu = (time.perf_counter() - started) * 1000, (time.process_time() - started_cpu) * 1000
        sql = sum(float(query["time"]) for query in queries.captured_queries) * 1000
        rows.append((response.status_code, len(queries), elapsed, sql, cpu))
    return rows


def summary(name, rows):
    statuses = sorted({row[0] for row in rows})
    counts = sorted({row[1] for row in rows})
    totals, sqls, cpus = (sorted(row[index] for row in rows) for index in (2, 3, 4))
    middle = len(rows) // 2
    return (
        f"{name}: statuses {statuses}, queries {counts}, total ms p50 {totals[middle]:.2f} max {totals[-1]:.1f}, "
        f"SQL ms p50 {sqls[middle]:.1f} max {sqls[-1]:.1f}, CPU ms p50 {cpus[middle]:.2f} mean {sum(cpus) / len(cpus):.2f}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--token", required=True)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile")
    parser.add_argument("--full-stack", action="store_true", help="serve cached reads through the full middleware stack and DRF")
    args = parser.parse_args()

    if args.full_stack:
        from django.conf import settings

        settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != "apiclients.fastpath.CachedProductMiddleware"]
    client = Client()
    for name, make_path in (("product detail", detail_path), ("filtered list", list_path)):
        measure(client, args.token, make_path, 3, args.products, seed=1)
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0001)
            profiler.start()
        misses = measure(client, args.token, make_path, args.rounds, args.products)
        hits = measure(client, args.token, make_path, args.rounds, args.products)
        if args.profile:
            profiler.stop()
            print(profiler.output_text(unicode=False, color=False, show_all=False))
        print(summary(f"{name}, first read", misses))
        print(summary(f"{name}, repeated (cached)", hits))


if __name__ == "__main__":
    main()
