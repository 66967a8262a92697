"""Category, attribute and value mappings per connection, and their CSV import."""

import csv
import io
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from integrations.itemerrors import MappingAmbiguous, MappingMissing
from integrations.models import AttributeMapping, CategoryMapping, ValueMapping

logger = logging.getLogger(__name__)

MAPPING_MODELS = {
    "category": CategoryMapping,
    "attribute": AttributeMapping,
    "value": ValueMapping,
}


def _labels(kind):
    meta = MAPPING_MODELS[kind]._meta
    return {"kind": str(meta.verbose_name), "kinds": str(meta.verbose_name_plural)}


def _outbound(kind, connection, canonical_code, **scope):
    external = (
        MAPPING_MODELS[kind].objects.filter(connection=connection, canonical_code=canonical_code, **scope)
        .values_list("external_code", flat=True)
        .first()
    )
    if external is None:
        raise MappingMissing(**_labels(kind), value=canonical_code, connection=connection.name)
    return external


def _inbound(kind, connection, external_code, **scope):
    codes = list(
        MAPPING_MODELS[kind].objects.filter(connection=connection, external_code=external_code, **scope)
        .values_list("canonical_code", flat=True)[:5]
    )
    if not codes:
        raise MappingMissing(**_labels(kind), value=external_code, connection=connection.name)
    if len(codes) > 1:
        raise MappingAmbiguous(**_labels(kind), value=external_code, connection=connection.name, codes=", ".join(codes))
    return codes[0]


def map_category(connection, canonical_code):
    """Return the connection's category code for a Kontor category; MappingMissing if unmapped."""
    return _outbound("category", connection, canonical_code)


def map_attribute(connection, canonical_code):
    return _outbound("attribute", connection, canonical_code)


def map_value(connection, attribute, canonical_code):
    return _outbound("value", connection, canonical_code, attribute=attribute)


def category_from_external(connection, external_code):
    """Return the Kontor category code for a remote one; MappingMissing or MappingAmbiguous."""
    return _inbound("category", connection, external_code)


def attribute_from_external(connection, external_code):
    return _inbound("attribute", connection, external_code)


def value_from_external(connection, attribute, external_code):
    return _inbound("value", connection, external_code, attribute=attribute)


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)


REQUIRED_COLUMNS = {
    "category": ("canonical_code", "external_code"),
    "attribute": ("canonical_code", "external_code"),
    "value": ("attribute", "canonical_code", "external_code"),
}


def import_mappings_csv(connection, kind, text):
    """Create or update mappings of one kind from CSV text with a header row.

    Columns: canonical_code, external_code, optional external_label, and attribute for value
    mappings. Comma or semicolon separated. Nothing is saved when any row is invalid (an empty
    required column, a value longer than its model field or containing NUL, or a Kontor code
    repeated in the file), and the result lists every invalid row with its line number.
    """
    model = MAPPING_MODELS[kind]
    try:
        dialect = csv.Sniffer().sniff(text[:2048], delimiters=",;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    result = ImportResult()

    missing = [column for column in REQUIRED_COLUMNS[kind] if column not in (reader.fieldnames or [])]
    if missing:
        result.errors.append(
            ngettext(
                "The CSV file has no column %(columns)s. The first row must name the columns %(required)s.",
                "The CSV file has no columns %(columns)s. The first row must name the columns %(required)s.",
                len(missing),
            )
            % {"columns": ", ".join(missing), "required": ", ".join(REQUIRED_COLUMNS[kind])}
        )
        return result

    rows = _read_rows(model, kind, reader, result.errors)
    if result.errors:
        return result

    with transaction.atomic():
        for values in rows.values():
            lookup = {"connection": connection, "canonical_code": values["canonical_code"]}
            if kind == "value":
                lookup["attribute"] = values["attribute"]
            _mapping, created = model.objects.update_or_create(
                **lookup,
                defaults={"external_code": values["external_code"], "external_label": values["external_label"]},
            )
            if created:
                result.created += 1
            else:
                result.updated += 1

    logger.info(
        "mappings imported",
        extra={"connection_id": connection.pk, "kind": kind, "created_count": result.created, "updated_count": result.updated},
    )
    return result


def _read_rows(model, kind, reader, errors):
    """Collect the valid rows by mapping key and append a message to `errors` for each invalid row."""
    columns = (*REQUIRED_COLUMNS[kind], "external_label")
    rows = {}
    first_lines = {}
    line = 1
    try:
        for line, row in enumerate(reader, start=2):
            values = {column: (row.get(column) or "").strip() for column in columns}
            row_errors = _row_errors(model, kind, line, values)
            if row_errors:
                errors.extend(row_errors)
                continue

            # update_or_create would let the last of two rows win without a word, so the
            # merchant could not tell which external code is stored.
            key = (values["attribute"], values["canonical_code"]) if kind == "value" else values["canonical_code"]
            if key in first_lines:
                errors.append(_duplicate_message(kind, line, first_lines[key], values))
                continue
            first_lines[key] = line
            rows[key] = values
    except csv.Error as error:
        errors.append(
            _("Line %(line)s cannot be read as CSV (%(error)s). Check the quotes and the length of that row.")
            % {"line": line + 1, "error": error}
        )
    return rows


def _row_errors(model, kind, line, values):
    empty = [column for column in REQUIRED_COLUMNS[kind] if not values[column]]
    if empty:
        return [
            ngettext(
                "Line %(line)s: the column %(columns)s is empty.",
                "Line %(line)s: the columns %(columns)s are empty.",
                len(empty),
            )
            % {"line": line, "columns": ", ".join(empty)}
        ]

    errors = []
    for column, value in values.items():
        # PostgreSQL cannot store NUL in text columns, and rejects the whole import for one.
        if "\x00" in value:
            errors.append(
                _(
                    "Line %(line)s, column %(column)s: the value contains a NUL character. Remove it; "
                    "it often means the file was saved as UTF-16 or is not a text file."
                )
                % {"line": line, "column": column}
            )
            continue
        max_length = model._meta.get_field(column).max_length
        if len(value) > max_length:
            errors.append(
                _(
                    "Line %(line)s, column %(column)s: the value has %(length)s characters, but at most "
                    "%(max)s are allowed. Shorten it."
                )
                % {"line": line, "column": column, "length": len(value), "max": max_length}
            )
    return errors


def _duplicate_message(kind, line, first_line, values):
    if kind == "value":
        return _(
            "Lines %(first_line)s and %(line)s both map the Kontor code %(code)s of attribute %(attribute)s. "
            "Keep one of the two rows."
        ) % {"first_line": first_line, "line": line, "code": values["canonical_code"], "attribute": values["attribute"]}
    return _(
        "Lines %(first_line)s and %(line)s both map the Kontor code %(code)s. Keep one of the two rows."
    ) % {"first_line": first_line, "line": line, "code": values["canonical_code"]}
