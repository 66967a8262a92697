"""Setup shared by the benchmark drivers: Django, the benchmark connection, process helpers."""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from bench.connector import BenchConnector
    from integrations import registry

    registry.register(BenchConnector)


def reset_bench_connection(slug, base_url="http://127.0.0.1:1/", rate=10000, burst=1000, secret="bench-secret"):
    """Delete and recreate the benchmark connection with its stock entity; return it."""
    from integrations.models import Connection, ConnectionEntity

    Connection.objects.filter(slug=slug).delete()
    connection = Connection(
        kind="bench", name=f"Benchmark {slug}", slug=slug, base_url=base_url,
        rate_limit_per_second=rate, rate_limit_burst=burst,
    )
    connection.set_credentials({"webhook_secret": secret})
    connection.save()
    ConnectionEntity.objects.create(connection=connection, entity="stock", direction="both")
    return connection


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def start(args, **kwargs):
    return subprocess.Popen(args, cwd=ROOT, **kwargs)


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()



def warm_up(port, path, body, headers, connections, seconds=3):
    """Send one signed webhook again and again for a few seconds before the measured run.

    Every gunicorn thread then has opened its database and Redis connections and run the code
    path once. Point it at a connection of its own: the first request stores one event, the
    rest are answered 200 as duplicates and store nothing.
    """
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(body.decode())}"]
    lines += [f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}" for name, value in headers.items()]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(lines) + "\n")
    try:
        subprocess.run(
            ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "-s", script.name, f"http://127.0.0.1:{port}{path}"],
            capture_output=True, check=True,
        )
    finally:
        os.unlink(script.name)


def process_tree_cpu_seconds(pid):
    """Return the user plus system CPU seconds of a process and its direct children (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            pids += [int(child) for child in children.read().split()]
    except OSError:
        pass
    total = 0
    for member in pids:
        try:
            with open(f"/proc/{member}/stat") as stat:
                # Fields after the command name, which may contain spaces; utime and stime are 14 and 15.
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks
