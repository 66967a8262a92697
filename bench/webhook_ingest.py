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
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import webhook_load  # noqa: E402
from bench.common import reset_bench_connection, setup_django  # noqa: E402

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
    webhook_load.add_arguments(parser, events=200_000)
    args = parser.parse_args()

    setup_django()
    from bench.connector import SIGNATURE_HEADER, sign
    from integrations.models import InboundEvent

    connection = reset_bench_connection(SLUG)
    reset_bench_connection(WARM_UP_SLUG)
    secret = connection.credentials["webhook_secret"]
    requests_file = Path(tempfile.mkdtemp()) / "events.tsv"
    write_requests(requests_file, args.events, secret)

    warm_up_body = json.dumps({"sku": "WARM-UP", "version": 1, "quantity": 1}).encode()
    figures, server_cpu = webhook_load.run(
        args,
        application="bench.wsgi:application",
        path=f"/hooks/{SLUG}/",
        requests_file=requests_file,
        signature_header=SIGNATURE_HEADER,
        warm_up_path=f"/hooks/{WARM_UP_SLUG}/",
        warm_up_body=warm_up_body,
        warm_up_headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, warm_up_body)},
    )
    webhook_load.report(args, figures, server_cpu, InboundEvent.objects.filter(connection=connection).count())


if __name__ == "__main__":
    main()
