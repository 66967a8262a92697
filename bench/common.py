"""Setup shared by the benchmark drivers: Django, the benchmark connection, process helpers."""

import os
import socket
import subprocess
import sys
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
