"""The HTTP layer's own cost: a trivial application under gunicorn gthread and under uvicorn's worker.

Both applications (bench/http_apps.py) do one Redis GET and return the same 880-byte
JSON body, so the difference between the two rows is the server's. wrk drives each at the
given numbers of connections; the table has requests per second and p50/p99 latency.

    .venv/bin/python bench/http_layer.py --connections 10 50 --seconds 8
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.api_load import BASE_DIR, ensure_port_free, run_wrk  # noqa: E402

SERVERS = {
    "gthread": ["bench.http_apps:wsgi", "--worker-class", "gthread", "--threads", "4", "--keep-alive", "30"],
    "uvicorn": ["bench.http_apps:asgi", "--worker-class", "uvicorn_worker.UvicornWorker"],
}
SCRIPT = 'request = function() return wrk.format("GET", "/") end\n'


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--port", type=int, default=8792)
    args = parser.parse_args()

    print("| server | connections | requests/s | p50 ms | p99 ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, options in SERVERS.items():
        ensure_port_free(args.port)
        command = [
            str(BASE_DIR / ".venv" / "bin" / "gunicorn"), *options, "--workers", str(args.workers),
            "--bind", f"127.0.0.1:{args.port}", "--log-level", "warning", "--backlog", "2048",
        ]
        server = subprocess.Popen(command, cwd=BASE_DIR)
        try:
            time.sleep(3)
            if server.poll() is not None:
                raise SystemExit(f"gunicorn ({name}) exited with {server.returncode}")
            for connections in args.connections:
                rps, p50, p99, non_2xx, _requests = run_wrk(args.port, "none", SCRIPT, connections, args.seconds)
                print(f"| {name} | {connections} | {rps:,.0f} | {p50:.1f} | {p99:.1f} |" + (f" {non_2xx} non-2xx" if non_2xx else ""), flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
