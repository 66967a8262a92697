"""Problems found in one record of an Akeneo export or API response.

An issue names where the value came from (file or endpoint, line, column), the value and
what to fix, so a merchant can correct the export without reading Kontor's code. An error
rejects its record; a warning drops one value and keeps the rest of the record.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Location:
    """Where a record came from: a CSV file and line, or an API endpoint and item code."""

    source: str
    line: int | None = None
    # Column header per (attribute code, locale, scope) key, for CSV records only.
    columns: dict = field(default_factory=dict, compare=False, hash=False)

    def column_of(self, attribute, locale=None, scope=None, suffix=""):
        """Return the CSV column header or the API value path of one attribute value."""
        header = self.columns.get((attribute, locale, scope, suffix))
        if header:
            return header
        path = f"values.{attribute}"
        qualifiers = [part for part in (locale, scope) if part]
        return f"{path}[{','.join(qualifiers)}]" if qualifiers else path


@dataclass(frozen=True)
class ImportIssue:
    entity: str
    code: str
    message: str
    source: str
    line: int | None
    column: str
    value: str
    record: str = ""
    severity: str = ERROR

    def __str__(self):
        """Return the message with its place, such as "products.csv, line 3, column ean: ..."."""
        values = {"source": self.source, "line": self.line, "column": self.column, "message": self.message}
        if self.line and self.column:
            return _("%(source)s, line %(line)s, column %(column)s: %(message)s") % values
        if self.line:
            return _("%(source)s, line %(line)s: %(message)s") % values
        if self.column:
            return _("%(source)s, column %(column)s: %(message)s") % values
        return _("%(source)s: %(message)s") % values


def yes_no(flag):
    """Return "yes" or "no" in the active language, for attribute flags in messages."""
    return pgettext("attribute flag", "yes") if flag else pgettext("attribute flag", "no")


class RecordRejected(Exception):
    """A record cannot be imported; `issues` lists every error found in it."""

    def __init__(self, issues):
        self.issues = list(issues)
        super().__init__("; ".join(str(issue) for issue in self.issues))


class NotAnAkeneoExport(Exception):
    """The given path or file is not an Akeneo CSV export at all; nothing was imported."""
