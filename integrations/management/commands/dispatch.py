"""Queue due outbox deliveries and inbox retries every second, until stopped."""

import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from core.commandargs import number_in_range
from integrations.services.dispatch import dispatch_due

logger = logging.getLogger(__name__)

# Seconds between progress lines on the console.
REPORT_EVERY_SECONDS = 60

# Each step queries the due outbound messages of every lane and the due inbound retries, so an
# interval of 0 would run these queries back to back.
# NOTE: 0.1 s is a judgment, not a measured limit.
MIN_INTERVAL_SECONDS = 0.1


class Command(BaseCommand):
    help = (
        "Queue batch deliveries for due outbound messages (retries included) and due inbound "
        "retries, every second. Run one dispatcher next to the lane clusters; more are harmless."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=number_in_range(float, unit="seconds", minimum=MIN_INTERVAL_SECONDS, example=1),
            default=1.0,
            help=f"Seconds between steps, {MIN_INTERVAL_SECONDS:g} or more (default 1).",
        )
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
