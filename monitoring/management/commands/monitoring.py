"""Install the monitoring schedules, or run alert evaluation or the daily summary once."""

from django.core.management.base import BaseCommand, CommandError

from monitoring.schedules import install_schedules
from monitoring.services.alerts import evaluate_rules
from monitoring.services.readiness import readiness
from monitoring.services.summary import send_daily_summary


class Command(BaseCommand):
    help = (
        "Monitoring jobs. --install-schedule creates the django-q2 schedules (lane heartbeats, "
        "alerts every minute, daily summary); the other options run one job now."
    )

    def add_arguments(self, parser):
        parser.add_argument("--install-schedule", action="store_true", help="Create or update the monitoring schedules.")
        parser.add_argument("--evaluate", action="store_true", help="Evaluate every alert rule once.")
        parser.add_argument("--summary", action="store_true", help="Send the daily summary email now.")
        parser.add_argument("--ready", action="store_true", help="Print the readiness checks; exit 1 when not ready.")

    def handle(self, *args, install_schedule, evaluate, summary, ready, **options):
        if not (install_schedule or evaluate or summary or ready):
            raise CommandError("Nothing to do: pass --install-schedule, --evaluate, --summary or --ready.")
        if install_schedule:
            for name in install_schedules():
                self.stdout.write(f"Installed the schedule '{name}'.")
        if evaluate:
            counts = evaluate_rules()
            self.stdout.write(", ".join(f"{count} {kind}" for kind, count in counts.items()))
        if summary:
            self.stdout.write(f"Sent the daily summary to {send_daily_summary()} channels.")
        if ready:
            is_ready, checks = readiness()
            for check in checks:
                self.stdout.write(f"{'ok    ' if check.ok else 'FAILED'} {check.name} {check.detail}".rstrip())
            if not is_ready:
                raise CommandError("Not ready.")
