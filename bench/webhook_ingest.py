"""Benchmark: webhook ingestion through Kontor's view under gunicorn on PostgreSQL.

Generates signed stock events, starts gunicorn (bench.wsgi) on 127.0.0.1, drives it with wrk
for a fixed duration, then counts at both ends: events answered 200 by the server against
rows stored in the inbox, and duplicates sent against duplicates stored (must be 0).

Run (PostgreSQL and Redis must be up, the database migrated):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kontor_fw REDIS_URL=redis://127.0.0.1:6379/1 \
    SECRET_KEY=bench .venv/bin/python bench/webhook_ingest.py --workers 2 --threads 4 --connections 16 --seconds 20
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    ROOT,
    free_port,
    process_tree_cpu_seconds,
    reset_bench_connection,
    setup_django,
    start,
    stop,
    wait_for_port,
    warm_up,
)

SLUG = "bench-webhooks"
WARM_UP_SLUG = "bench-webhooks-warm-up"


def write_requests(path, count, secret):
    from bench.connector import sign

    with open(path, "w") as out:
        for number in range(count):
            body = json.dumps({"sku": f"SKU-{number % 5000}", "version": number, "quantity": number % 97}).encode()
            out.write(f"{sign(secret, body)}\t{body.decode()}\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (gthread)")
    parser.add_argument("--connections", type=int, default=32, help="open HTTP connections of wrk")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--seconds", type=int, default=20, help="duration of the load")
    parser.add_argument("--events", type=int, default=200_000, help="signed events generated; must exceed what is sent")
    args = parser.parse_args()

    setup_django()
    from bench.connector import SIGNATURE_HEADER, sign
    from integrations.models import InboundEvent

    connection = reset_bench_connection(SLUG)
    reset_bench_connection(WARM_UP_SLUG)
    secret = connection.credentials["webhook_secret"]
    requests_file = Path(tempfile.mkdtemp()) / "events.tsv"
    write_requests(requests_file, args.events, secret)

    port = free_port()
    gunicorn = [
        str(ROOT / ".venv/bin/gunicorn"), "bench.wsgi:application", "-c", str(ROOT / "bench/gunicorn_conf.py"),
        "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers), "--threads", str(args.threads),
    ]
    env = dict(os.environ, LOG_LEVEL="WARNING", DEBUG="false", SESSION_COOKIE_SECURE="false", CSRF_COOKIE_SECURE="false")
    server = start(gunicorn, env=env)
    try:
        wait_for_port(port)
        warm_body = json.dumps({"sku": "WARM-UP", "version": 1, "quantity": 1}).encode()
        warm_up(
            port, f"/hooks/{WARM_UP_SLUG}/", warm_body,
            {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, warm_body)}, args.connections,
        )
        wrk_env = dict(
            os.environ,
            BENCH_THREADS=str(args.wrk_threads),
            BENCH_PATH=f"/hooks/{SLUG}/",
            BENCH_REQUESTS=str(requests_file),
        )
        cpu_before = process_tree_cpu_seconds(server.pid)
        result = subprocess.run(
            [
                "wrk", "-t", str(args.wrk_threads), "-c", str(args.connections), "-d", f"{args.seconds}s",
                "--timeout", "5s", "-s", str(ROOT / "bench/webhook.lua"), f"http://127.0.0.1:{port}/hooks/{SLUG}/",
            ],
            env=wrk_env, capture_output=True, text=True, check=True,
        )
        server_cpu = process_tree_cpu_seconds(server.pid) - cpu_before
    finally:
        stop(server)

    figures = {}
    for line in result.stdout.splitlines():
        if line.startswith("BENCH "):
            figures.update({key: float(value) for key, value in re.findall(r"(\w+)=([\d.]+)", line)})

    stored = InboundEvent.objects.filter(connection=connection).count()
    # Every answered unique event must be stored once, and no duplicate stored at all.
    answered_unique = figures["ok"] - figures["duplicates"]
    print(json.dumps({
        "gunicorn_workers": args.workers,
        "gunicorn_threads": args.threads,
        "load_average_1min": round(os.getloadavg()[0], 2),
        "wrk_connections": args.connections,
        "seconds": figures["seconds"],
        "requests": int(figures["requests"]),
        "events_per_second": round(figures["requests"] / figures["seconds"], 1),
        "p50_ms": figures["p50_ms"],
        "p90_ms": figures["p90_ms"],
        "p99_ms": figures["p99_ms"],
        "max_ms": figures["max_ms"],
        # gunicorn's own CPU (master and workers), without PostgreSQL, Redis and wrk.
        "server_cpu_ms_per_request": round(server_cpu / figures["requests"] * 1000, 2),
        "answered_200": int(figures["ok"]),
        "answered_other": int(figures["failed"]),
        "socket_errors": int(figures["socket_errors"]),
        "unique_events_sent": int(figures["unique"]),
        "duplicates_sent": int(figures["duplicates"]),
        "rows_stored": stored,
        # Requests still in flight when wrk stops may be stored without being counted as answered,
        # so answered unique <= stored <= unique sent; outside those bounds an event was lost or doubled.
        "lost": max(0, int(answered_unique - stored)),
        "duplicated": max(0, int(stored - figures["unique"])),
    }, indent=2))


if __name__ == "__main__":
    main()
