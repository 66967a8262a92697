"""German texts of the Akeneo import: row-level errors, the command summary and the catalogue."""

import ast
import gettext
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import translation

from integrations.akeneo.services import import_csv_export
from integrations.models import SyncError
from tests.akeneo.conftest import product_line, write_products

LOCALE = Path(settings.BASE_DIR) / "integrations" / "akeneo" / "locale" / "de" / "LC_MESSAGES"


def po_entries():
    """Return {(context, msgid): [msgstr, ...]} of the German .po file, without the header."""
    entries, context, msgid, current = {}, "", None, None
    for line in (LOCALE / "django.po").read_text(encoding="utf-8").splitlines():
        if line.startswith("msgctxt "):
            context, current = None, [ast.literal_eval(line[8:])]
            context_parts = current
        elif line.startswith("msgid "):
            current = [ast.literal_eval(line[6:])]
            msgid = current
        elif line.startswith("msgid_plural "):
            current = [ast.literal_eval(line[13:])]
        elif line.startswith("msgstr"):
            current = [ast.literal_eval(line.split(" ", 1)[1])]
            key = ("".join(context_parts) if context is None else "", "".join(msgid))
            entries.setdefault(key, []).append(current)
        elif line.startswith('"') and current is not None:
            current.append(ast.literal_eval(line))
        elif not line:
            context, current = "", None
    return {key: ["".join(parts) for parts in strings] for key, strings in entries.items() if key[1]}


def test_row_error_message_in_german(db, small_export):
    write_products(small_export, [product_line("CAM-1"), product_line("CAM-2", family="spaceships")])

    with translation.override("de"):
        import_csv_export(small_export)

    error = SyncError.objects.get(code="akeneo_unknown_family")
    assert error.message == (
        "products.csv, Zeile 3, Spalte family: Familie spaceships gibt es nicht. "
        "Importieren Sie zuerst families.csv mit dieser Familie, oder korrigieren Sie den Familiencode."
    )


def test_value_error_message_in_german(db, small_export):
    write_products(small_export, [product_line("CAM-1", weight="1,5", weight_unit="KILOGRAM")])

    with translation.override("de"):
        import_csv_export(small_export)

    error = SyncError.objects.get(code="akeneo_decimal_comma")
    assert error.message == (
        "products.csv, Zeile 2, Spalte weight: 1,5 verwendet ein Komma als Dezimaltrennzeichen. "
        "Schreiben Sie 1.5, oder importieren Sie mit ',' als Dezimaltrennzeichen."
    )


def test_command_summary_in_german(db, small_export):
    write_products(small_export, [product_line("CAM-1"), product_line("CAM-2", family="spaceships")])
    out = StringIO()

    with translation.override("de"), pytest.raises(CommandError) as raised:
        call_command("import_catalog", str(small_export), "--no-progress", stdout=out, stderr=StringIO())

    lines = out.getvalue().splitlines()
    assert lines[0] == "Datenart                neu geändert unverändert fehlerhaft"
    assert "Artikel                   1        0           0          1" in lines
    assert "Fehler unknown_family: 1 Datensatz, zum Beispiel:" in lines
    assert "Alle Meldungen stehen in der Verwaltung unter Integrationen > Synchronisationsfehler." in lines
    assert str(raised.value) == "1 Datensatz ist fehlgeschlagen; siehe die Meldungen oben oder die Synchronisationsfehler in der Verwaltung."


def test_german_catalogue_complete_and_compiled():
    entries = po_entries()
    with (LOCALE / "django.mo").open("rb") as stream:
        compiled = gettext.GNUTranslations(stream)

    assert len(entries) > 50
    assert [key for key, strings in entries.items() if not all(strings)] == []
    for (context, msgid), strings in entries.items():
        if len(strings) == 1:
            compiled_text = compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)
            assert compiled_text == strings[0], msgid
