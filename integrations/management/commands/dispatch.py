"""Queue due outbox deliveries and inbox retries every second, until stopped."""

import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from integrations.services.dispatch import dispatch_due

logger = logging.getLogger(__name__)

# Seconds between progress lines on the console.
REPORT_EVERY_SECONDS = 60


class Command(BaseCommand):
    help = (
        "Queue batch deliveries for due outbound messages (retries included) and due inbound "
        "retries, every second. Run one dispatcher next to the lane clusters; more are harmless."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between steps (default 1).")
        parser.add_argument("--once", action="store_true", help="Run one step and stop.")

    def handle(self, *args, interval, once, **options):
        if once:
            counts = dispatch_due()
            self.stdout.write(f"Queued {counts['batch_tasks']} batch deliveries and {counts['inbound']} inbound retries.")
            return

        stopping = []
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopping.append(True))
        logger.info("dispatcher started", extra={"interval_seconds": interval})
        self.stdout.write(f"Dispatcher started: every {interval:g} s. Stop with Ctrl-C.")

        totals = {"batch_tasks": 0, "inbound": 0}
        reported = time.monotonic()
        while not stopping:
            started = time.monotonic()
            # A long-running process must notice a dropped or aged database connection itself.
            close_old_connections()
            try:
                counts = dispatch_due()
            except Exception:
                logger.exception("dispatcher step failed")
            else:
                for key, value in counts.items():
                    totals[key] += value
            if started - reported >= REPORT_EVERY_SECONDS:
                self.stdout.write(
                    f"Dispatcher: queued {totals['batch_tasks']} batch deliveries and {totals['inbound']} "
                    f"inbound retries in the last {REPORT_EVERY_SECONDS} s."
                )
                totals = {"batch_tasks": 0, "inbound": 0}
                reported = started
            time.sleep(max(0.0, interval - (time.monotonic() - started)))

        logger.info("dispatcher stopped")
        self.stdout.write("Dispatcher stopped.")
