"""The load run shared by the webhook benchmarks: gunicorn, a warm-up, wrk, and counting at both ends.

Each driver writes its signed requests to a file (signature, a tab, the body, one per line),
then calls `run` with the WSGI application to serve and `report` with the rows it stored.
"""

import json
import os
import re
import subprocess

from bench.common import (
    ROOT,
    free_port,
    process_tree_cpu_seconds,
    start,
    stop,
    wait_for_port,
    warm_up,
)


def add_arguments(parser, *, events):
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (gthread)")
    parser.add_argument("--connections", type=int, default=32, help="open HTTP connections of wrk")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--seconds", type=int, default=20, help="duration of the load")
    parser.add_argument("--events", type=int, default=events, help="signed events generated; must exceed what is sent")


def run(args, *, application, path, requests_file, signature_header, warm_up_path, warm_up_body, warm_up_headers):
    """Serve `application` with gunicorn, warm it up, drive `path` with wrk; return (figures, server CPU seconds)."""
    port = free_port()
    gunicorn = [
        str(ROOT / ".venv/bin/gunicorn"), application, "-c", str(ROOT / "bench/gunicorn_conf.py"),
        "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers), "--threads", str(args.threads),
    ]
    env = dict(os.environ, LOG_LEVEL="WARNING", DEBUG="false", SESSION_COOKIE_SECURE="false", CSRF_COOKIE_SECURE="false")
    server = start(gunicorn, env=env)
    try:
        wait_for_port(port)
        warm_up(port, warm_up_path, warm_up_body, warm_up_headers, args.connections)
        wrk_env = dict(
            os.environ,
            BENCH_THREADS=str(args.wrk_threads),
            BENCH_PATH=path,
            BENCH_REQUESTS=str(requests_file),
            BENCH_SIGNATURE_HEADER=signature_header,
        )
        cpu_before = process_tree_cpu_seconds(server.pid)
        result = subprocess.run(
            [
                "wrk", "-t", str(args.wrk_threads), "-c", str(args.connections), "-d", f"{args.seconds}s",
                "--timeout", "5s", "-s", str(ROOT / "bench/webhook.lua"), f"http://127.0.0.1:{port}{path}",
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
    return figures, server_cpu


def report(args, figures, server_cpu, stored):
    """Print the run's figures as JSON, with events lost or stored twice counted from both ends."""
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
        # so answered unique <= stored <= unique sent. Outside those bounds an event was lost or doubled.
        "lost": max(0, int(answered_unique - stored)),
        "duplicated": max(0, int(stored - figures["unique"])),
    }, indent=2))
