"""Texts that `manage.py import_catalog` prints for support staff, in the active language."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from integrations.akeneo.issues import ERROR
from integrations.akeneo.stats import ENTITY_LABELS


def summary_lines(stats):
    """Return the summary of an import as (text, outcome) pairs; outcome is "success" or ""."""
    # English labels fit the default widths; translated ones may need wider columns.
    first = max(16, *(len(str(label)) + 1 for label in ENTITY_LABELS.values()))
    headers = [
        pgettext("import summary column", "entity"),
        pgettext("import summary column", "created"),
        pgettext("import summary column", "updated"),
        pgettext("import summary column", "unchanged"),
        pgettext("import summary column", "failed"),
    ]
    widths = [first] + [max(default, len(header) + 1) for header, default in zip(headers[1:], (9, 9, 11, 8), strict=True)]
    lines = [(format_row(headers, widths), "")]
    for entity, *counts in stats.rows():
        lines.append((format_row([ENTITY_LABELS[entity], *counts], widths), ""))
    if stats.missing_media:
        text = _(
            "%(count)s media files are referenced but not in the export, such as %(example)s; "
            "their paths are kept on the attribute values."
        ) % {"count": stats.missing_media, "example": stats.missing_media_example}
        lines.append((text, ""))

    for (severity, code), count in sorted(stats.issue_counts.items()):
        label = pgettext("import issue severity", "error") if severity == ERROR else pgettext("import issue severity", "warning")
        heading = ngettext(
            "%(severity)s %(code)s: %(count)s record, such as:",
            "%(severity)s %(code)s: %(count)s records, such as:",
            count,
        ) % {"severity": label, "code": code, "count": count}
        lines.append((heading, ""))
        lines.extend((f"    {issue}", "") for issue in stats.issue_examples[(severity, code)])
    if stats.issue_counts:
        lines.append((_("Every message is listed under Integrations > Sync errors in the admin."), ""))

    if stats.changed == 0 and stats.failed == 0:
        lines.append((_("Nothing changed: the catalog already matches the source."), "success"))
    elif stats.failed == 0:
        text = _("Imported: %(created)s created, %(updated)s updated.") % {"created": stats.total("created"), "updated": stats.total("updated")}
        lines.append((text, "success"))
    return lines


def format_row(cells, widths):
    """Return a table row: the first cell left-aligned, the others right-aligned."""
    first, *rest = cells
    return f"{first!s:<{widths[0]}}" + "".join(f"{cell!s:>{width}}" for cell, width in zip(rest, widths[1:], strict=True))


def failed_records_message(count):
    return ngettext(
        "%(count)s record failed; see the messages above or the sync errors in the admin.",
        "%(count)s records failed; see the messages above or the sync errors in the admin.",
        count,
    ) % {"count": count}


def unknown_source_message(source):
    return _(
        "%(source)s is neither a folder nor the slug of a connection. "
        "Give the folder of an Akeneo CSV export or a connection slug."
    ) % {"source": source}


def wrong_kind_message(slug, kind, expected):
    return _(
        "Connection %(slug)s is of kind %(kind)s, not %(expected)s. Give the slug of an Akeneo connection."
    ) % {"slug": slug, "kind": kind, "expected": expected}
