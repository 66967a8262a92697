"""Queue due outbox retries, expired leases, lost inbox events and due pulls."""

from django.core.management.base import BaseCommand
from django_q.models import Schedule

from integrations.tasks import sweep

SCHEDULE_NAME = "integrations sweep"


class Command(BaseCommand):
    help = "Queue due retries and pulls once. With --install-schedule, run it every minute on the hot lane."

    def add_arguments(self, parser):
        parser.add_argument(
            "--install-schedule",
            action="store_true",
            help="Create or update the django-q2 schedule that runs the sweep every minute.",
        )

    def handle(self, *args, install_schedule, **options):
        if install_schedule:
            Schedule.objects.update_or_create(
                name=SCHEDULE_NAME,
                defaults={
                    "func": "integrations.tasks.sweep",
                    "schedule_type": Schedule.MINUTES,
                    "minutes": 1,
                    "repeats": -1,
                    "cluster": "hot",
                },
            )
            self.stdout.write("Installed the schedule 'integrations sweep' (every minute, hot lane).")
            return
        counts = sweep()
        self.stdout.write(
            f"Queued {counts['outbound']} outbound messages, {counts['inbound']} inbound events, "
            f"{counts['pulls']} pulls."
        )
