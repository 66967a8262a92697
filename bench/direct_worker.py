"""Deliver outbox messages in this process without django-q2, for bench/outbox_delivery.py --direct.

Run: python -m bench.direct_worker LANE, which claims and delivers batches of the lane's due
messages until none is left, or python -m bench.direct_worker --per-message IDS_FILE, which
calls deliver_message for each id in the file (one per line), the path before batching.
"""

import sys

import django

django.setup()

from bench.connector import BenchConnector  # noqa: E402
from integrations import registry  # noqa: E402
from integrations.services.batches import deliver_due_messages  # noqa: E402
from integrations.services.delivery import deliver_message  # noqa: E402

registry.register(BenchConnector)

if __name__ == "__main__":
    if sys.argv[1] == "--per-message":
        with open(sys.argv[2]) as ids_file:
            for line in ids_file:
                deliver_message(int(line))
    else:
        while deliver_due_messages(sys.argv[1]):
            pass
