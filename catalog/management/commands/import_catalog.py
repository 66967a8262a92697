"""`manage.py import_catalog PATH_OR_CONNECTION`: import an Akeneo catalog with a summary.

PATH is the folder of an Akeneo CSV export; CONNECTION is the slug of an Akeneo connection,
read through its REST API. The exit status is 0 only if no record failed.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from integrations.akeneo.issues import NotAnAkeneoExport
from integrations.akeneo.services import KIND, import_csv_export, import_from_api
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
            raise CommandError(f"{stats.failed} records failed; see the messages above or the sync errors in the admin.", returncode=1)

    def connection(self, slug):
        connection = Connection.objects.filter(slug=slug).first()
        if connection is None:
            raise CommandError(f"{slug} is neither a folder nor the slug of a connection. Give the folder of an Akeneo CSV export or a connection slug.")
        if connection.kind != KIND:
            raise CommandError(f"Connection {slug} is of kind {connection.kind}, not {KIND}.")
        return connection

    def progress_factory(self, hidden):
        def progress(**kwargs):
            return tqdm(disable=hidden, file=self.stderr._out, leave=False, **kwargs)

        return progress

    def print_summary(self, stats):
        write = self.stdout.write
        write(f"{'entity':<16}{'created':>9}{'updated':>9}{'unchanged':>11}{'failed':>8}")
        for entity, created, updated, unchanged, failed in stats.rows():
            write(f"{entity:<16}{created:>9}{updated:>9}{unchanged:>11}{failed:>8}")
        if stats.missing_media:
            write(f"{stats.missing_media} media files are referenced but not in the export, such as {stats.missing_media_example}; their paths are kept on the attribute values.")

        for (severity, code), count in sorted(stats.issue_counts.items()):
            write(f"{severity} {code}: {count} records, such as:")
            for issue in stats.issue_examples[(severity, code)]:
                write(f"    {issue}")
        if stats.issue_counts:
            write("Every message is listed under Integrations > Sync errors in the admin.")

        if stats.changed == 0 and stats.failed == 0:
            write(self.style.SUCCESS("Nothing changed: the catalog already matches the source."))
        elif stats.failed == 0:
            write(self.style.SUCCESS(f"Imported: {stats.total('created')} created, {stats.total('updated')} updated."))
