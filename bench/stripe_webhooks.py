"""Benchmark: the Stripe webhook receiver with signature checking, under gunicorn on PostgreSQL.

Generates Stripe `payment_intent.succeeded` events (the fixture's shape, about 1.5 KB each),
signs them with the connection's secret as Stripe does (`t=…,v1=…`), starts gunicorn on
127.0.0.1 and drives it with wrk. Every 20th request repeats the previous event, as a
redelivery. The server verifies each signature, parses the event, stores it in the inbox and
queues it on the hot lane (Redis); no lane worker runs, so the figures are the receiver's alone.

The signatures carry the time of generation and Stripe's tolerance is 300 s, so generation plus
the load must stay below five minutes.

Run (PostgreSQL and Redis up, the database migrated):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kontor_pay REDIS_URL=redis://127.0.0.1:6379/9 \
    SECRET_KEY=bench .venv/bin/python bench/stripe_webhooks.py --workers 2 --threads 4 --connections 16 --seconds 20
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    ROOT,
    free_port,
    process_tree_cpu_seconds,
    setup_django,
    start,
    stop,
    wait_for_port,
    warm_up,
)

SLUG = "bench-stripe"
WARM_UP_SLUG = "bench-stripe-warm-up"
SECRET = "whsec_bench_0123456789abcdef"
FIXTURE = ROOT / "integrations/stripe/tests/fixtures/payment_intent.succeeded.json"


def reset_connection(slug=SLUG):
    from integrations.models import Connection

    Connection.objects.filter(slug=slug).delete()
    connection = Connection(kind="stripe", name="Benchmark Stripe", slug=slug, base_url="http://127.0.0.1:1/")
    connection.set_credentials({"api_key": "sk_test_bench", "webhook_secrets": SECRET})
    connection.save()
    return connection


def write_requests(path, count):
    from integrations.stripe.webhooks import signature_header

    template = json.loads(FIXTURE.read_text())
    now = int(time.time())
    with open(path, "w") as out:
        for number in range(count):
            template["id"] = f"evt_bench_{number:09d}"
            template["data"]["object"]["id"] = f"pi_bench_{number:09d}"
            template["data"]["object"]["metadata"] = {"order_number": f"B-{number}"}
            body = json.dumps(template, separators=(",", ":")).encode()
            out.write(f"{signature_header(SECRET, body, now)}\t{body.decode()}\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (gthread)")
    parser.add_argument("--connections", type=int, default=32, help="open HTTP connections of wrk")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--seconds", type=int, default=20, help="duration of the load")
    parser.add_argument("--events", type=int, default=100_000, help="signed events generated; must exceed what is sent")
    args = parser.parse_args()

    setup_django()
    from integrations.models import InboundEvent
    from integrations.stripe.webhooks import signature_header

    connection = reset_connection()
    reset_connection(WARM_UP_SLUG)
    requests_file = Path(tempfile.mkdtemp()) / "stripe-events.tsv"
    write_requests(requests_file, args.events)

    port = free_port()
    gunicorn = [
        str(ROOT / ".venv/bin/gunicorn"), "config.wsgi:application", "-c", str(ROOT / "bench/gunicorn_conf.py"),
        "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers), "--threads", str(args.threads),
    ]
    env = dict(os.environ, LOG_LEVEL="WARNING", DEBUG="false", SESSION_COOKIE_SECURE="false", CSRF_COOKIE_SECURE="false")
    server = start(gunicorn, env=env)
    try:
        wait_for_port(port)
        warm_body = json.dumps({**json.loads(FIXTURE.read_text()), "id": "evt_bench_warm_up"}).encode()
        warm_up(
            port, f"/hooks/{WARM_UP_SLUG}/", warm_body,
            {"Content-Type": "application/json", "Stripe-Signature": signature_header(SECRET, warm_body)}, args.connections,
        )
        wrk_env = dict(os.environ, BENCH_THREADS=str(args.wrk_threads), BENCH_PATH=f"/hooks/{SLUG}/", BENCH_REQUESTS=str(requests_file), BENCH_SIGNATURE_HEADER="Stripe-Signature")
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
        # In-flight requests at the end may be stored but not counted as answered, so
        # answered unique <= stored <= unique sent; outside those bounds an event was lost or doubled.
        "lost": max(0, int(answered_unique - stored)),
        "duplicated": max(0, int(stored - figures["unique"])),
    }, indent=2))


if __name__ == "__main__":
    main()
