from django.core.management.base import BaseCommand

from core.commandargs import number_in_range
from integrations.dhl.tasks import install_schedule
from integrations.dhl.tracking import POLL_INTERVAL

# A scheduler run further apart than the per-parcel poll interval would poll parcels less often
# than that interval promises.
MAX_MINUTES = int(POLL_INTERVAL.total_seconds() // 60)


class Command(BaseCommand):
    help = "Create or update the schedule that pulls DHL tracking for open shipments on the hot lane."

    def add_arguments(self, parser):
        parser.add_argument(
            "--minutes",
            type=number_in_range(int, unit="minutes", minimum=1, maximum=MAX_MINUTES, example=5),
            default=5,
            help=(
                f"Minutes between scheduler runs, from 1 to {MAX_MINUTES} (default 5). Each parcel is "
                f"still polled at most every {MAX_MINUTES // 60} hours."
            ),
        )

    def handle(self, *args, minutes, **options):
        schedule = install_schedule(minutes)
        self.stdout.write(f"Schedule {schedule.name!r}: {schedule.func} every {minutes} minutes on the hot lane.")
