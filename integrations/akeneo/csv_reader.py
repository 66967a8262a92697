"""Streaming reader of an Akeneo CSV export directory.

Akeneo's flat CSV files are semicolon separated with double quotes around fields that
contain a separator, a quote or a line break, so one record may span several physical
lines. Files saved by other tools may start with a byte order mark, use Windows line endings
or mix UTF-8 with Windows-1252 lines; the reader accepts all of these, one line at a time,
so memory does not grow with the file size.
"""

import codecs
import csv
from dataclasses import dataclass, field
from pathlib import Path

from integrations.akeneo.issues import ERROR, WARNING, ImportIssue, NotAnAkeneoExport
from integrations.akeneo.issues import deferred_gettext as _

DELIMITER = ";"
# Both byte orders of UTF-16. A UTF-32 mark starts with one of them, so it is rejected too.
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

# The files Kontor reads, in import order, with the columns each must have.
EXPORT_FILES = {
    "channels": ("channels.csv", {"code", "locales", "currencies"}),
    "locales": ("locales.csv", {"code"}),
    "categories": ("categories.csv", {"code", "parent"}),
    "attributes": ("attributes.csv", {"code", "type"}),
    "options": ("attribute_options.csv", {"code", "attribute"}),
    "product_types": ("families.csv", {"code", "attributes"}),
    "variant_schemes": ("family_variants.csv", {"code", "family", "variant-axes_1"}),
    "product_models": ("product_models.csv", {"code", "family_variant", "parent", "categories"}),
    "products": ("products.csv", {"categories", "enabled", "family"}),
}


@dataclass
class CsvRecord:
    line: int
    row: dict
    issues: list = field(default_factory=list)


class ExportDirectory:
    """An Akeneo CSV export directory; opening it checks that it is one."""

    def __init__(self, path):
        self.path = Path(path)
        if not self.path.is_dir():
            raise NotAnAkeneoExport(
                _("%(path)s is not a directory. Give the folder that holds the Akeneo CSV export (products.csv, families.csv ...).")
                % {"path": self.path}
            )
        self.files = {entity: self.path / name for entity, (name, _columns) in EXPORT_FILES.items() if (self.path / name).is_file()}
        if not self.files:
            expected = ", ".join(name for name, _columns in EXPORT_FILES.values())
            raise NotAnAkeneoExport(
                _("%(path)s contains no Akeneo export file. Expected one or more of: %(files)s.")
                % {"path": self.path, "files": expected}
            )
        for entity in self.files:
            self.check_header(entity)
            self.check_readable(entity)

    def check_header(self, entity):
        """Reject the whole export when a file's header is not the Akeneo one."""
        name, required = EXPORT_FILES[entity]
        header = self.header(entity)
        missing = sorted(required - set(header))
        if not missing:
            return
        values = {"file": name, "columns": ", ".join(missing), "found": ", ".join(header[:8]) or "-"}
        if len(header) < 2:
            # A header that is one column is not split at ';', so the file uses another separator.
            raise NotAnAkeneoExport(
                _(
                    "%(file)s is not an Akeneo CSV export: its header has no column %(columns)s "
                    "(found: %(found)s). Export it from Akeneo as CSV with ';' as separator."
                )
                % values
            )
        raise NotAnAkeneoExport(
            _(
                "%(file)s has no column %(columns)s, which Kontor needs to import it (found: %(found)s). "
                "Export the file again from Akeneo with all its columns."
            )
            % values
        )

    def check_readable(self, entity):
        """Reject the whole export when a file is not readable CSV, before anything is imported."""
        for _record in self.read(entity):
            pass

    def header(self, entity):
        for record in self.read(entity, header_only=True):
            return record
        return []

    def has(self, entity):
        return entity in self.files

    def file_name(self, entity):
        return EXPORT_FILES[entity][0]

    def read(self, entity, header_only=False):
        """Yield a CsvRecord per data row of one file; with header_only, yield the header list.

        Raises NotAnAkeneoExport when the file is not readable CSV, such as a binary file.
        """
        path = self.files[entity]
        with path.open("rb") as stream:
            decoder = LineDecoder(stream, path.name)
            try:
                yield from self.parse(decoder, header_only)
            except csv.Error as error:
                raise NotAnAkeneoExport(unreadable_csv_message(path.name, decoder.line, error)) from None

    def parse(self, decoder, header_only):
        name = decoder.name
        reader = csv.reader(decoder, delimiter=DELIMITER, quotechar='"', strict=False)
        try:
            header = next(reader)
        except StopIteration:
            return
        header = [column.strip() for column in header]
        if header_only:
            yield header
            return

        previous_end = reader.line_num
        for values in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if not any(value.strip() for value in values):
                continue
            issues = decoder.take_issues()
            if len(values) != len(header):
                issues.append(column_count_issue(name, start, len(values), len(header)))
            yield CsvRecord(line=start, row=dict(zip(header, values, strict=False)), issues=issues)


def unreadable_csv_message(name, line, error):
    # The csv module appends a hint about newline modes that does not apply to a file on disk.
    detail = str(error).split(" - ")[0]
    return _(
        "%(file)s, line %(line)s: the file is not readable CSV (%(detail)s). Export it again from Akeneo "
        "as CSV with ';' as separator, and check that it is the export and not another file."
    ) % {"file": name, "line": line, "detail": detail}


def column_count_issue(name, line, found, expected):
    return ImportIssue(
        entity="",
        code="column_count",
        message=_("The row has %(found)s fields but the header has %(expected)s. Check for a stray ';' or an unclosed quote.")
        % {"found": found, "expected": expected},
        source=name,
        line=line,
        column="",
        value="",
    )


class LineDecoder:
    """Iterate over the text lines of a binary stream, decoding each line on its own.

    A line that is not valid UTF-8 is read as Windows-1252, the usual encoding of files saved
    by spreadsheet programs on Windows, and a warning names the line. A UTF-8 byte order mark
    is removed; a UTF-16 one rejects the file, or the record of the line it starts.
    """

    def __init__(self, stream, name):
        self.stream = stream
        self.name = name
        self.line = 0
        self.issues = []

    def __iter__(self):
        return self

    def __next__(self):
        raw = self.stream.readline()
        if not raw:
            raise StopIteration
        self.line += 1
        if raw.startswith(UTF16_BOMS):
            return self.utf16_line(raw)
        if raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
            if self.line > 1:
                self.issues.append(self.line_issue(
                    "bom_in_line",
                    _("Line %(line)s starts with a UTF-8 byte order mark, which was removed. The file may be two files joined, so check the lines around it."),
                    WARNING,
                ))
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.issues.append(self.line_issue(
                "not_utf8",
                _("Line %(line)s is not UTF-8 and was read as Windows-1252. Save the file as UTF-8 to be sure of its characters."),
                WARNING,
            ))
            return raw.decode("cp1252", errors="replace")

    def utf16_line(self, raw):
        """Reject the file if its first line starts with a UTF-16 byte order mark, else only the record of the line.

        Read as UTF-8 or Windows-1252, such a line gives values such as the SKU "ÿþX4".
        """
        if self.line == 1:
            raise NotAnAkeneoExport(
                _("%(file)s is saved as UTF-16: it starts with a UTF-16 byte order mark. Save it as UTF-8, the encoding of Akeneo's CSV exports, and import it again.")
                % {"file": self.name}
            )
        self.issues.append(self.line_issue(
            "utf16_line",
            _("Line %(line)s starts with a UTF-16 byte order mark, so its record was not imported. Save the whole file as UTF-8 and import it again."),
            ERROR,
        ))
        return raw[len(codecs.BOM_UTF16_LE):].decode("utf-8", errors="replace")

    def line_issue(self, code, message, severity):
        return ImportIssue(
            entity="", code=code, message=message % {"line": self.line}, source=self.name, line=self.line, column="", value="", severity=severity,
        )

    def take_issues(self):
        issues, self.issues = self.issues, []
        return issues
