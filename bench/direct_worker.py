"""Deliver outbox messages in this process without django-q2, for bench/outbox_delivery.py --direct.

Run: python -m bench.direct_worker IDS_FILE, one message id per line.
"""

import sys

import django

django.setup()

from bench.connector import BenchConnector  # noqa: E402
from integrations import registry  # noqa: E402
from integrations.services.delivery import deliver_message  # noqa: E402

registry.register(BenchConnector)

if __name__ == "__main__":
    with open(sys.argv[1]) as ids_file:
        for line in ids_file:
            deliver_message(int(line))
