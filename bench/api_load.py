"""Load benchmark of the REST API: product detail and filtered product list under gunicorn.

Starts gunicorn on 127.0.0.1 against a database seeded by bench/api_seed.py. Then runs wrk
(Debian package `wrk`) at rising numbers of concurrent connections, with a Lua script that
picks a random product id, or a random category and price range, per request. Prints a Markdown
table of requests per second and p50/p99 latency.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kontor_api_bench SECRET_KEY=bench \
        .venv/bin/python bench/api_load.py --token "$(tail -1 /tmp/bench_token.txt)"
"""

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

DETAIL_SCRIPT = """
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/api/v1/products/" .. math.random(1, {products}) .. "/")
end
"""

LIST_SCRIPT = """
math.randomseed(os.time())
request = function()
  local department = math.random(0, 9)
  local low = math.random(5, 400)
  return wrk.format("GET", "/api/v1/products/?category=dept-" .. department .. "&in_stock=true&price_min=" .. low .. "&price_max=" .. (low + 100) .. "&page_size=20")
end
"""


def ensure_port_free(port):
    """Exit when another server listens on the port, so the run never measures someone else's server."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"Port {port} is in use by another server; pass a free one with --port.")


def start_server(port, workers):
    ensure_port_free(port)
    env = dict(os.environ, DEBUG="false", LOG_LEVEL="WARNING")
    command = [
        str(BASE_DIR / ".venv" / "bin" / "gunicorn"), "config.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class", "sync",
        "--access-logfile", "/dev/null", "--log-level", "warning",
    ]
    server = subprocess.Popen(command, cwd=BASE_DIR, env=env)
    for _attempt in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/schema/?format=json", timeout=2)
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start within 20 s")


def parse_latency(text, label):
    match = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    value, unit = float(match.group(1)), match.group(2)
    if unit == "us":
        return value / 1000
    if unit == "s":
        return value * 1000
    return value


def run_wrk(port, token, script, connections, seconds):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    command = [
        "wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{seconds}s", "--latency",
        "-H", f"Authorization: Bearer {token}", "-s", handle.name, f"http://127.0.0.1:{port}",
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    os.unlink(handle.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return rps, parse_latency(output, "50%"), parse_latency(output, "99%"), int(non_2xx.group(1)) if non_2xx else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--token", required=True)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 5, 10, 25, 50])
    args = parser.parse_args()

    server = start_server(args.port, args.workers)
    try:
        scenarios = [("product detail", DETAIL_SCRIPT.replace("{products}", str(args.products))), ("filtered list", LIST_SCRIPT)]
        print("| endpoint | connections | requests/s | p50 ms | p99 ms | non-2xx |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for name, script in scenarios:
            run_wrk(args.port, args.token, script, 2, 3)  # warm up connections and caches
            for connections in args.concurrency:
                rps, p50, p99, errors = run_wrk(args.port, args.token, script, connections, args.seconds)
                print(f"| {name} | {connections} | {rps:.0f} | {p50:.1f} | {p99:.1f} | {errors} |", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
