"""Start the missing Odoo poll loops once, or install the schedule that starts them every minute."""

from django.core.management.base import BaseCommand

from integrations.odoo.tasks import POLL_LANE, ensure_pollers, schedule_pollers


class Command(BaseCommand):
    help = (
        "Queue the stock and orders poll loops of each enabled Odoo connection that lacks them. "
        "With --install-schedule, create or update the schedule that does it every minute on the "
        "poll lane instead."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--install-schedule",
            action="store_true",
            help="Create or update the django-q2 schedule that starts missing loops every minute.",
        )

    def handle(self, *args, install_schedule, **options):
        if install_schedule:
            schedule = schedule_pollers()
            self.stdout.write(f"Installed the schedule '{schedule.name}' (every minute, {POLL_LANE} lane).")
            return
        started = ensure_pollers()
        self.stdout.write(f"Queued {started} Odoo poll loops on the {POLL_LANE} lane.")
