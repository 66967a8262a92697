"""Problems found in one record of an Akeneo export or API response.

An issue names where the value came from (file or endpoint, line, column), the value and
what to fix, so a merchant can correct the export without reading Kontor's code. An error
rejects its record; a warning drops one value and keeps the rest of the record.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext as _

ERROR = "error"
WARNING = "warning"


class DeferredMessage:
    """A message template and its values, rendered in the active language on each str().

    Import issues are stored in every language Kontor ships (SyncError.message_translations),
    so a message must be renderable again after the import found the problem. `template` is
    the English msgid; values that are themselves deferred or lazy are rendered with it.
    """

    def __init__(self, template, params=None):
        self.template = template
        self.params = params

    def __mod__(self, params):
        return DeferredMessage(self.template, params)

    def __str__(self):
        text = gettext(self.template)
        if self.params is None:
            return text
        return text % {key: _rendered(value) for key, value in self.params.items()}

    def __eq__(self, other):
        return str(self) == str(other)

    def __hash__(self):
        return hash(str(self))

    def __repr__(self):
        return f"DeferredMessage({self.template!r}, {self.params!r})"


def _rendered(value):
    if isinstance(value, (DeferredMessage, ValidationMessage, Promise)):
        return str(value)
    return value


def deferred_gettext(template):
    """Mark `template` for translation like gettext, but render it only when it is shown."""
    return DeferredMessage(template)


class ValidationMessage:
    """The messages of a Django validator for one value, rendered in the active language on str().

    Validators outside the importer render their messages when they raise, so the value is
    validated again in the language that the message is shown in.
    """

    def __init__(self, validator, *args):
        self.validator = validator
        self.args = args

    def __str__(self):
        try:
            self.validator(*self.args)
        except ValidationError as error:
            return " ".join(error.messages)
        return ""


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
    message: str | DeferredMessage
    source: str
    line: int | None
    column: str
    value: str
    record: str = ""
    severity: str = ERROR

    @property
    def support_message(self):
        """The message with its place in the active language, as stored on the SyncError."""
        return str(self)

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
    return pgettext_lazy("attribute flag", "yes") if flag else pgettext_lazy("attribute flag", "no")


class RecordRejected(Exception):
    """A record cannot be imported; `issues` lists every error found in it."""

    def __init__(self, issues):
        self.issues = list(issues)
        super().__init__("; ".join(str(issue) for issue in self.issues))


class NotAnAkeneoExport(Exception):
    """The given path or file is not an Akeneo CSV export at all; nothing was imported."""
