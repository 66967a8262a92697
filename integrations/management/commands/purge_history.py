"""Delete finished outbox, inbox and sync history older than a number of days."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone
from django_q.models import Schedule
from tqdm import tqdm

from core.commandargs import number_in_range
from integrations.services.retention import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_RETENTION_DAYS,
    purge_history,
)

SCHEDULE_NAME = "integrations purge history"
# The daily run starts at a quiet hour for European shops.
SCHEDULE_HOUR_UTC = 3

KIND_LABELS = {
    "outbound_messages": "outbound messages",
    "inbound_events": "inbound events",
    "sync_runs": "sync runs",
    "sync_errors": "resolved sync errors",
}


def next_schedule_run(now):
    run = now.replace(hour=SCHEDULE_HOUR_UTC, minute=0, second=0, microsecond=0)
    return run if run > now else run + timedelta(days=1)


class Command(BaseCommand):
    help = (
        "Delete delivered, skipped, superseded and withdrawn outbound messages, processed and ignored "
        "inbound events, finished sync runs and resolved sync errors older than --older-than days. "
        "With --install-schedule, run it daily on the master lane."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=number_in_range(int, unit="days", minimum=1, example=DEFAULT_RETENTION_DAYS),
            metavar="DAYS",
            default=DEFAULT_RETENTION_DAYS,
            help=f"Delete history finished more than this many days ago, 1 or more (default {DEFAULT_RETENTION_DAYS}).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Count the rows that would be deleted, and delete none.")
        parser.add_argument(
            "--batch-size",
            type=number_in_range(int, unit="rows", minimum=1, example=DEFAULT_BATCH_SIZE),
            metavar="ROWS",
            default=DEFAULT_BATCH_SIZE,
            help=f"Rows deleted per transaction, 1 or more (default {DEFAULT_BATCH_SIZE}).",
        )
        parser.add_argument(
            "--install-schedule",
            action="store_true",
            help="Create or update the django-q2 schedule that runs the purge daily with --older-than.",
        )

    def handle(self, *args, older_than, dry_run, batch_size, install_schedule, **options):
        if install_schedule:
            self.install_schedule(older_than)
            return

        before = timezone.now() - timedelta(days=older_than)
        bars = {}
        try:
            counts = purge_history(before, batch_size=batch_size, dry_run=dry_run, progress=self.progress_bars(bars))
        finally:
            for bar in bars.values():
                bar.close()

        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(f"{verb} history finished before {before.isoformat(timespec='seconds')}:")
        for kind, label in KIND_LABELS.items():
            self.stdout.write(f"  {label}: {counts[kind]}")

    def progress_bars(self, bars):
        """Return a progress callback that shows one bar per kind of row on stderr."""

        def progress(kind, deleted):
            bar = bars.get(kind)
            if bar is None:
                # Kinds are purged one after the other, so a new kind finishes the bar before it.
                for finished in bars.values():
                    finished.close()
                bar = bars[kind] = tqdm(desc=KIND_LABELS[kind], unit=" rows", file=self.stderr._out)
            bar.update(deleted - bar.n)

        return progress

    def install_schedule(self, older_than):
        defaults = {
            "func": "integrations.tasks.purge_history",
            "kwargs": repr({"older_than_days": older_than}),
            "schedule_type": Schedule.DAILY,
            "repeats": -1,
            "cluster": "master",
        }
        # An existing schedule keeps its next run, so installing again does not move it.
        if not Schedule.objects.filter(name=SCHEDULE_NAME).exists():
            defaults["next_run"] = next_schedule_run(timezone.now())
        schedule, _created = Schedule.objects.update_or_create(name=SCHEDULE_NAME, defaults=defaults)
        self.stdout.write(
            f"Installed the schedule '{SCHEDULE_NAME}' (daily on the master lane, next run "
            f"{schedule.next_run.isoformat(timespec='minutes')}, deletes history older than {older_than} days)."
        )
