import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction

from catalog.models import Warehouse
from integrations.models import OutboundMessage, OutboundState
from integrations.services.outbox import enqueue_outbound
from tests.integrations.framework.conftest import make_connection

WORKER_SCRIPT = """
import sys
import django
django.setup()
from integrations import registry
from tests.integrations.framework.testshop import TestShopConnector
from integrations.services.delivery import deliver_message
registry.register(TestShopConnector)
for message_id in sys.argv[1:]:
    deliver_message(int(message_id))
"""


class Receiver(BaseHTTPRequestHandler):
    arrivals = []
    lock = threading.Lock()

    def do_PUT(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.lock:
            self.arrivals.append((time.monotonic(), self.headers["Idempotency-Key"]))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):
        pass


@pytest.mark.postgres
@pytest.mark.skipif(not settings.REDIS_URL, reason="the shared limit across processes needs Redis")
@pytest.mark.django_db(transaction=True)
def test_rate_limit_held_across_two_worker_processes():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    Receiver.arrivals = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    connection = make_connection(
        "limited", base_url=f"http://127.0.0.1:{server.server_port}/api", rate_limit_per_second=5, rate_limit_burst=1
    )
    ids = []
    for number in range(12):
        warehouse = Warehouse.objects.create(code=f"W{number}", name=f"W{number}")
        with transaction.atomic():
            (message,) = enqueue_outbound(warehouse, "products", {"name": warehouse.name})
        ids.append(str(message.pk))

    settings_dict = db_connection.settings_dict
    env = dict(
        os.environ,
        DATABASE_URL=f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}/{settings_dict['NAME']}",
    )
    # Both workers get every id; the claim decides who sends which message.
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER_SCRIPT, *ids], env=env, cwd=settings.BASE_DIR)
        for _worker in range(2)
    ]
    try:
        for worker in workers:
            assert worker.wait(timeout=60) == 0
    finally:
        server.shutdown()

    times = sorted(moment for moment, _key in Receiver.arrivals)
    keys = [key for _moment, key in Receiver.arrivals]
    assert len(keys) == 12
    assert len(set(keys)) == 12
    assert set(OutboundMessage.objects.filter(connection=connection).values_list("state", flat=True)) == {OutboundState.DELIVERED}
    # 5 per second with a burst of 1: twelve requests take at least 11 / 5 = 2.2 s.
    assert times[-1] - times[0] >= 2.0
    for index, start in enumerate(times):
        in_one_second = [moment for moment in times[index:] if moment - start < 1.0]
        assert len(in_one_second) <= 6
