from django.core.management.base import BaseCommand

from integrations.dhl.tasks import install_schedule


class Command(BaseCommand):
    help = "Create or update the schedule that pulls DHL tracking for open shipments on the hot lane."

    def add_arguments(self, parser):
        parser.add_argument("--minutes", type=int, default=5, help="Minutes between scheduler runs (each parcel is still polled at most every 3 hours).")

    def handle(self, *args, minutes, **options):
        schedule = install_schedule(minutes)
        self.stdout.write(f"Schedule {schedule.name!r}: {schedule.func} every {minutes} minutes on the hot lane.")
