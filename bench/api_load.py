"""Load benchmark of the REST API: product detail and filtered product list under gunicorn.

Starts gunicorn on 127.0.0.1 against a database seeded by bench/api_seed.py. Then runs wrk
(Debian package `wrk`) at rising numbers of concurrent connections, with a Lua script that
picks a random product id, or a random category and price range, per request. Prints a Markdown
table of requests per second and p50/p99 latency.

--hot N reads only N products and N list queries, each requested once before the run, to
measure the response cache. --cache-seconds 0 turns that cache off. --app-dir serves another
checkout (such as `git archive` of an older commit) for a before-and-after comparison.

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

# {products} ids in steps of {step}: the whole catalog by default, or a hot set spread over it.
DETAIL_SCRIPT = """
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/api/v1/products/" .. (1 + (math.random(1, {products}) - 1) * {step}) .. "/")
end
"""

# {lows} lower price bounds in steps of {low_step} from 5, times ten departments.
LIST_SCRIPT = """
math.randomseed(os.time())
request = function()
  local department = math.random(0, 9)
  local low = 5 + (math.random(1, {lows}) - 1) * {low_step}
  return wrk.format("GET", "/api/v1/products/?category=dept-" .. department .. "&in_stock=true&price_min=" .. low .. "&price_max=" .. (low + 100) .. "&page_size=20")
end
"""


def detail_paths(products, step):
    return [f"/api/v1/products/{1 + index * step}/" for index in range(products)]


def list_paths(lows, low_step):
    return [
        f"/api/v1/products/?category=dept-{department}&in_stock=true&price_min={5 + index * low_step}&price_max={5 + index * low_step + 100}&page_size=20"
        for department in range(10)
        for index in range(lows)
    ]


def warm(port, token, paths):
    """Request every path once, so a hot-set run measures the response cache, not its filling."""
    from concurrent.futures import ThreadPoolExecutor

    def get(path):
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(get, paths))
    return sum(1 for status in statuses if status != 200)


def ensure_port_free(port):
    """Exit when another server listens on the port, so the run never measures someone else's server."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"Port {port} is in use by another server; pass a free one with --port.")


def start_server(port, args):
    ensure_port_free(port)
    env = dict(os.environ, DEBUG="false", LOG_LEVEL="WARNING", API_RESPONSE_CACHE_SECONDS=str(args.cache_seconds))
    if args.worker_class == "uvicorn":
        # config.asgi serves cached product reads on the event loop and runs Django in threads.
        app, worker_class = "config.asgi:application", "uvicorn_worker.UvicornWorker"
        env["WSGI_THREADS"] = str(args.threads)
    else:
        app, worker_class = "config.wsgi:application", args.worker_class
    command = [
        str(BASE_DIR / ".venv" / "bin" / "gunicorn"), app,
        "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers), "--worker-class", worker_class,
        "--access-logfile", "/dev/null", "--log-level", "warning", "--backlog", "2048",
    ]
    if args.worker_class == "gthread":
        # Threads keep wrk's connections open between requests; sync workers close each one.
        command += ["--threads", str(args.threads), "--keep-alive", "30"]
    app_dir = args.app_dir
    server = subprocess.Popen(command, cwd=app_dir, env=env)
    for _attempt in range(100):
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}; is port {port} taken?")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=2)
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start within 20 s")


def server_cpu_seconds(server):
    """CPU seconds (user and system) used so far by gunicorn's master and its workers, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    total = 0
    for pid in [str(server.pid), *children]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue  # a worker that was replaced meanwhile
        # utime and stime are fields 14 and 15 of stat; fields[0] is field 3 (state).
        total += int(fields[11]) + int(fields[12])
    return total / ticks


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
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return rps, parse_latency(output, "50%"), parse_latency(output, "99%"), int(non_2xx.group(1)) if non_2xx else 0, requests


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--token", required=True)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", choices=["sync", "gthread", "uvicorn"], default="sync", help="gunicorn worker class; uvicorn serves config.asgi")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker, or WSGI threads per uvicorn worker")
    parser.add_argument("--only", choices=["detail", "list"], help="run one endpoint only")
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 5, 10, 25, 50])
    parser.add_argument("--hot", type=int, default=0, help="read only this many products and list queries, requested once before the run; 0: the whole catalog")
    parser.add_argument("--cache-seconds", type=int, default=30, help="API_RESPONSE_CACHE_SECONDS of the server; 0 turns the response cache off")
    parser.add_argument("--app-dir", default=str(BASE_DIR), help="checkout to serve, such as a git worktree of an older commit")
    args = parser.parse_args()

    if args.hot:
        products, step = args.hot, max(1, args.products // args.hot)
        lows, low_step = max(1, args.hot // 10), max(1, 395 // max(1, args.hot // 10))
    else:
        products, step, lows, low_step = args.products, 1, 396, 1
    scenarios = [
        ("product detail", DETAIL_SCRIPT.format(products=products, step=step), detail_paths(products, step)),
        ("filtered list", LIST_SCRIPT.format(lows=lows, low_step=low_step), list_paths(lows, low_step)),
    ]

    if args.only:
        scenarios = [scenario for scenario in scenarios if scenario[0].startswith({"detail": "product", "list": "filtered"}[args.only])]

    server = start_server(args.port, args)
    try:
        print(f"gunicorn: {args.workers} {args.worker_class} workers" + (f", {args.threads} threads each" if args.worker_class != "sync" else ""))
        print(f"load average at start: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
        print("| endpoint | connections | requests/s | p50 ms | p99 ms | non-2xx | server CPU ms/request |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name, script, paths in scenarios:
            if args.hot:
                failed = warm(args.port, args.token, paths)
                print(f"warmed {len(paths)} {name} paths, {failed} not 200", flush=True)
            run_wrk(args.port, args.token, script, 2, 3)  # warm up connections
            for connections in args.concurrency:
                cpu_before = server_cpu_seconds(server)
                rps, p50, p99, errors, requests = run_wrk(args.port, args.token, script, connections, args.seconds)
                cpu = (server_cpu_seconds(server) - cpu_before) * 1000 / max(1, requests)
                print(f"| {name} | {connections} | {rps:.0f} | {p50:.1f} | {p99:.1f} | {errors} | {cpu:.2f} |", flush=True)
        print(f"load average at end: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
