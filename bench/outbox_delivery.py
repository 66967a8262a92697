"""Benchmark: outbox delivery from a django-q2 hot lane to a local HTTP receiver.

Writes MESSAGES stock changes for distinct records through enqueue_outbound (each commit
queues one batch delivery task on the hot lane in Redis), then starts the hot lane cluster
with the benchmark connector and waits until every message is delivered. Counts at both ends:
delivered rows in Kontor against requests and distinct idempotency keys at the receiver.

--direct delivers with plain processes instead of the cluster (batches, or with --per-message
the single-message path that came before batching, for comparison). --retry-after N makes the
receiver answer each message's first request 429 with Retry-After N and starts the dispatcher,
to measure how long after the asked-for wait the retry arrives.

Run (PostgreSQL and Redis must be up, the database migrated):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kontor_fw REDIS_URL=redis://127.0.0.1:6379/1 \
    SECRET_KEY=bench .venv/bin/python bench/outbox_delivery.py --messages 5000 --workers 4
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    ROOT,
    free_port,
    reset_bench_connection,
    setup_django,
    start,
    stop,
    wait_for_port,
)

SLUG = "bench-outbox"
# Records per transaction while the messages are written, to keep the setup short.
BATCH = 500


def receiver_stats(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5) as response:
        return json.load(response)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=4, help="django-q2 workers of the hot lane")
    parser.add_argument("--timeout", type=int, default=600, help="seconds to wait for all deliveries")
    parser.add_argument(
        "--direct",
        action="store_true",
        help="deliver with --workers plain processes claiming batches instead of the django-q2 cluster",
    )
    parser.add_argument(
        "--per-message", action="store_true", help="with --direct: call deliver_message per id, without batches"
    )
    parser.add_argument(
        "--retry-after", type=int, default=0,
        help="receiver answers each first request 429 with this Retry-After; the dispatcher runs",
    )
    args = parser.parse_args()

    setup_django()
    from django.db import transaction
    from django_q.brokers import get_broker

    from catalog.models import Warehouse
    from integrations.models import Connection, OutboundMessage, OutboundState
    from integrations.services.outbox import enqueue_outbound

    get_broker("hot").purge_queue()
    port = free_port()
    receiver = start([sys.executable, str(ROOT / "bench/receiver.py"), str(port), str(args.retry_after)])
    cluster = dispatcher = None
    try:
        wait_for_port(port)
        # Other benchmark connections in the same database would subscribe to the same stock changes.
        Connection.objects.filter(kind="bench").exclude(slug=SLUG).delete()
        connection = reset_bench_connection(SLUG, base_url=f"http://127.0.0.1:{port}", rate=100_000, burst=10_000)
        Warehouse.objects.filter(code__startswith="bench-").delete()
        records = Warehouse.objects.bulk_create(
            [Warehouse(code=f"bench-{number}", name=f"Bench {number}") for number in range(args.messages)]
        )
        for start_index in range(0, len(records), BATCH):
            with transaction.atomic():
                for record in records[start_index:start_index + BATCH]:
                    enqueue_outbound(record, "stock", {"sku": record.code, "quantity": 7})

        messages = OutboundMessage.objects.filter(connection=connection)
        env = dict(os.environ, Q_CLUSTER_NAME="hot", LANE_HOT_WORKERS=str(args.workers), LOG_LEVEL="WARNING")
        started = time.monotonic()
        if args.direct:
            get_broker("hot").purge_queue()
            ids = list(messages.order_by("pk").values_list("pk", flat=True))
            workers = []
            for index in range(args.workers):
                if args.per_message:
                    # Each worker gets every n-th id, as a lane's queue hands each task to one worker.
                    ids_path = Path(tempfile.mkdtemp()) / "ids.txt"
                    ids_path.write_text("".join(f"{pk}\n" for pk in ids[index :: args.workers]))
                    command = [sys.executable, "-m", "bench.direct_worker", "--per-message", str(ids_path)]
                else:
                    command = [sys.executable, "-m", "bench.direct_worker", "hot"]
                workers.append(start(command, env=env))
            for worker in workers:
                worker.wait(timeout=args.timeout)
        else:
            cluster = start([sys.executable, "-m", "bench.worker"], env=env)
            if args.retry_after:
                dispatcher = start([sys.executable, "manage.py", "dispatch"], env=env, stdout=subprocess.DEVNULL)
        deadline = started + args.timeout
        while time.monotonic() < deadline:
            if not messages.exclude(state=OutboundState.DELIVERED).exists():
                break
            time.sleep(0.5)
        elapsed = time.monotonic() - started
    finally:
        for process in (dispatcher, cluster):
            if process is not None:
                stop(process)
        stats = receiver_stats(port)
        stop(receiver)

    delivered = messages.filter(state=OutboundState.DELIVERED).count()
    receive_seconds = (stats["last"] - stats["first"]) if stats["first"] else 0
    gaps = sorted(stats["retry_gaps"])
    mode = "django-q2 hot lane"
    if args.direct:
        mode = "direct processes, " + ("one message at a time" if args.per_message else "batches")
    print(json.dumps({
        "messages": args.messages,
        "workers": args.workers,
        "mode": mode,
        "load_average_1min": round(os.getloadavg()[0], 2),
        "delivered_rows": delivered,
        "undelivered_rows": messages.exclude(state=OutboundState.DELIVERED).count(),
        "receiver_requests": stats["requests"],
        "receiver_distinct_keys": stats["distinct_keys"],
        "seconds_from_cluster_start": round(elapsed, 2),
        "seconds_first_to_last_receipt": round(receive_seconds, 2),
        "receiver_accepted": stats["accepted"],
        "messages_per_second": round(stats["accepted"] / receive_seconds, 1) if receive_seconds else None,
        "retry_gap_p50_s": gaps[len(gaps) // 2] if gaps else None,
        "retry_gap_max_s": gaps[-1] if gaps else None,
        "lost": args.messages - stats["distinct_keys"],
        # An accepted request for a key already accepted is a message sent twice.
        "duplicated": stats["accepted"] - stats["distinct_keys"],
    }, indent=2))


if __name__ == "__main__":
    main()
