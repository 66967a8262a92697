"""Where an import reads Akeneo records from: a CSV export directory or the REST API.

Both sources yield (record, Location) pairs in the API's JSON shape, so the importer and the
mapper do not know which one they read.
"""

from integrations.akeneo.csv_reader import ExportDirectory
from integrations.akeneo.csv_records import (
    METRIC,
    MULTI_SELECT,
    PRICE,
    REFERENCE_RECORDS,
    ProductModelRows,
    ProductRows,
)
from integrations.akeneo.issues import ERROR, ImportIssue, Location

# Canonical attribute types that need special column handling, as Akeneo type names.
COLUMN_TYPES = {"price": PRICE, "measurement": METRIC, "multi_select": MULTI_SELECT, "identifier": "pim_catalog_identifier"}


def attribute_columns(index):
    """Return the attribute definitions ValueColumns needs, built from the stored attributes."""
    return {
        code: {"type": COLUMN_TYPES.get(info.type, info.type), "localizable": info.localizable, "scopable": info.scopable}
        for code, info in index.attributes.items()
    }


class CsvSource:
    """An Akeneo CSV export directory; every run reads its files completely."""

    trust_media_source_url = False

    def __init__(self, path):
        self.export = ExportDirectory(path)
        self.root = self.export.path.resolve()

    def describe(self):
        return str(self.export.path)

    def has(self, entity):
        return self.export.has(entity)

    def count(self, entity):
        """Return the number of records to read, or None when only a full read would tell."""
        return None

    def reads_every_row(self, entity):
        """Return True: each run reads every line and column of a file, so their problems are checked again."""
        return True

    def reads_every_record(self, entity):
        """Return False: an export may contain a selection of records, so a record not in it may still exist in Akeneo."""
        return False

    def rows(self, entity, importer):
        """Yield CsvRecords whose structure is sound, reporting the others as failed."""
        for csv_record in self.export.read(entity):
            errors = [issue for issue in csv_record.issues if issue.severity == ERROR]
            importer.report([_with_entity(issue, entity) for issue in csv_record.issues])
            if errors:
                importer.stats.add(entity, "failed")
                continue
            yield csv_record

    def reference_records(self, entity, importer):
        build = REFERENCE_RECORDS[entity]
        name = self.export.file_name(entity)
        for csv_record in self.rows(entity, importer):
            yield build(csv_record.row), Location(name, csv_record.line)

    def value_records(self, entity, importer):
        converter_class = ProductRows if entity == "products" else ProductModelRows
        attributes = attribute_columns(importer.index)
        converter = converter_class(self.export.header(entity), attributes, self.export.file_name(entity))
        importer.report([_with_entity(issue, entity) for issue in converter.columns.issues])
        for csv_record in self.rows(entity, importer):
            yield converter.record(csv_record, attributes)

    def read_media(self, path):
        """Return the bytes of a file the export refers to, or None when it is not there."""
        candidate = (self.root / path).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return candidate.read_bytes()


def _with_entity(issue, entity):
    if issue.entity:
        return issue
    return ImportIssue(entity, issue.code, issue.message, issue.source, issue.line, issue.column, issue.value, issue.record, issue.severity)
