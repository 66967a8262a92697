"""Entry points of the Akeneo catalog import, for the command, the demo and tasks."""

from django.db import transaction
from django.utils.translation import gettext as _

from integrations.akeneo.importer import CatalogImport, NoProgress
from integrations.akeneo.leading import claim_default_leading_rules
from integrations.akeneo.sources import CsvSource
from integrations.models import Connection

KIND = "akeneo"
CSV_CONNECTION_SLUG = "akeneo-csv-import"


@transaction.atomic
def create_akeneo_connection(*, name, slug, base_url="", credentials=None):
    """Create an Akeneo connection and make it the leading system for product master data."""
    connection = Connection(kind=KIND, name=name, slug=slug, base_url=base_url)
    if credentials:
        connection.set_credentials(credentials)
    connection.full_clean()
    connection.save()
    claim_default_leading_rules(connection)
    return connection


def csv_import_connection():
    """Return the connection that records CSV imports, creating it on first use."""
    connection = Connection.objects.filter(slug=CSV_CONNECTION_SLUG).first()
    if connection is None:
        connection = create_akeneo_connection(name=_("Akeneo CSV import"), slug=CSV_CONNECTION_SLUG)
    return connection


def import_csv_export(path, *, connection=None, decimal_separator=".", progress=NoProgress, batch_size=None):
    """Import an Akeneo CSV export directory; raise NotAnAkeneoExport if it is not one."""
    source = CsvSource(path)
    connection = connection or csv_import_connection()
    options = {"batch_size": batch_size} if batch_size else {}
    return CatalogImport(connection, source, decimal_separator=decimal_separator, progress=progress, **options).run()


def import_from_api(connection, *, full=False, progress=NoProgress, batch_size=None):
    """Import the catalog of an Akeneo connection through its REST API, as a delta unless `full`."""
    from integrations.akeneo.api_source import ApiSource

    source = ApiSource(connection, full=full)
    options = {"batch_size": batch_size} if batch_size else {}
    stats = CatalogImport(connection, source, progress=progress, **options).run()
    source.commit_cursors()
    return stats
