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
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import webhook_load  # noqa: E402
from bench.common import ROOT, setup_django  # noqa: E402

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
    webhook_load.add_arguments(parser, events=100_000)
    args = parser.parse_args()

    setup_django()
    from integrations.models import InboundEvent
    from integrations.stripe.webhooks import signature_header

    connection = reset_connection()
    reset_connection(WARM_UP_SLUG)
    requests_file = Path(tempfile.mkdtemp()) / "stripe-events.tsv"
    write_requests(requests_file, args.events)

    warm_up_body = json.dumps({**json.loads(FIXTURE.read_text()), "id": "evt_bench_warm_up"}).encode()
    figures, server_cpu = webhook_load.run(
        args,
        application="config.wsgi:application",
        path=f"/hooks/{SLUG}/",
        requests_file=requests_file,
        signature_header="Stripe-Signature",
        warm_up_path=f"/hooks/{WARM_UP_SLUG}/",
        warm_up_body=warm_up_body,
        warm_up_headers={"Content-Type": "application/json", "Stripe-Signature": signature_header(SECRET, warm_up_body)},
    )
    webhook_load.report(args, figures, server_cpu, InboundEvent.objects.filter(connection=connection).count())


if __name__ == "__main__":
    main()
