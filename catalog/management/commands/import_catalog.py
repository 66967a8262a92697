"""`manage.py import_catalog PATH_OR_CONNECTION`: import an Akeneo catalog with a summary.

PATH is the folder of an Akeneo CSV export; CONNECTION is the slug of an Akeneo connection,
read through its REST API. The exit status is 0 only if no record failed.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from integrations.akeneo.issues import NotAnAkeneoExport
from integrations.akeneo.services import KIND, import_csv_export, import_from_api
from integrations.akeneo.summary import (
    failed_records_message,
    summary_lines,
    unknown_source_message,
    wrong_kind_message,
)
from integrations.errors import ConnectorError
from integrations.models import Connection


class Command(BaseCommand):
    help = "Import an Akeneo catalog from a CSV export folder or an Akeneo connection, and print what changed."

    def add_arguments(self, parser):
        parser.add_argument("source", help="Folder of an Akeneo CSV export, or the slug of an Akeneo connection.")
        parser.add_argument("--connection", help="Slug of the Akeneo connection that a CSV import is recorded on (default: akeneo-csv-import).")
        parser.add_argument("--decimal-separator", choices=[".", ","], default=".", help="Decimal separator of numbers in the CSV files (default: '.').")
        parser.add_argument("--full", action="store_true", help="For a connection: read everything instead of the changes since the last import.")
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args, **options):
        source = options["source"]
        progress = self.progress_factory(options["no_progress"])
        try:
            if Path(source).exists():
                connection = self.connection(options["connection"]) if options["connection"] else None
                stats = import_csv_export(source, connection=connection, decimal_separator=options["decimal_separator"], progress=progress)
            else:
                stats = import_from_api(self.connection(source), full=options["full"], progress=progress)
        except NotAnAkeneoExport as error:
            raise CommandError(str(error)) from None
        except ConnectorError as error:
            raise CommandError(str(error.support_message)) from None

        self.print_summary(stats)
        if stats.failed:
            raise CommandError(failed_records_message(stats.failed), returncode=1)

    def connection(self, slug):
        connection = Connection.objects.filter(slug=slug).first()
        if connection is None:
            raise CommandError(unknown_source_message(slug))
        if connection.kind != KIND:
            raise CommandError(wrong_kind_message(slug, connection.kind, KIND))
        return connection

    def progress_factory(self, hidden):
        def progress(**kwargs):
            return tqdm(disable=hidden, file=self.stderr._out, leave=False, **kwargs)

        return progress

    def print_summary(self, stats):
        for text, outcome in summary_lines(stats):
            self.stdout.write(self.style.SUCCESS(text) if outcome == "success" else text)
