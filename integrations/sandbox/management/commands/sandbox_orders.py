"""Replay the UCI Online Retail invoices as orders of a simulated shop, at a set rate."""

from django.core.management.base import BaseCommand, CommandError

from core.commandargs import number_in_range

SHOPS = ("shopware",)


class Command(BaseCommand):
    help = "Place orders in a sandbox shop at a set rate, replaying real invoices (placed, cancelled, skipped counts shown)."

    def add_arguments(self, parser):
        parser.add_argument("--system", default="shopware", choices=SHOPS, help="Simulated shop that places the orders.")
        parser.add_argument(
            "--rate", type=number_in_range(float, unit="invoices a second", minimum=0.01, example=1), default=1.0,
            help="Invoices replayed per second.",
        )
        parser.add_argument(
            "--count", type=number_in_range(int, unit="invoices", minimum=1, example=100), default=None,
            help="Invoices to replay; without it the stream runs until stopped.",
        )

    def handle(self, *args, system, rate, count, **options):
        from django.conf import settings

        if not settings.SANDBOX_ENABLED:
            raise CommandError("The sandbox is off. Set SANDBOX_ENABLED=true to run a sandbox shop.")
        from integrations.sandbox.shopware import stream

        self.stdout.write(f"Replaying invoices in the {system} sandbox at {rate}/s; stop with Ctrl-C.")

        def progress(totals):
            done = sum(totals.values())
            if done % 10 == 0 or done == count:
                self.stdout.write(f"{done} invoices: {totals['placed']} placed, {totals['cancelled']} cancelled, {totals['skipped']} skipped")

        try:
            totals = stream.run(rate, count=count, progress=progress)
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
            return
        self.stdout.write(self.style.SUCCESS(f"Done: {totals}"))
