"""Checks of a whole CSV file before import: its header columns and its encoding."""

import pytest
from django.utils import translation

from catalog.models import Product
from integrations.akeneo.issues import NotAnAkeneoExport
from integrations.akeneo.services import import_csv_export
from integrations.models import SyncError
from tests.akeneo.conftest import product_line, write_products


def without_column(folder, column):
    """Rewrite products.csv of `folder` without one of its columns."""
    path = folder / "products.csv"
    rows = [line.split(";") for line in path.read_text(encoding="utf-8").splitlines()]
    position = rows[0].index(column)
    path.write_text("\n".join(";".join(row[:position] + row[position + 1:]) for row in rows) + "\n", encoding="utf-8")


def test_missing_column_is_named(db, small_export):
    write_products(small_export, [product_line("CAM-1")])
    without_column(small_export, "categories")

    with pytest.raises(NotAnAkeneoExport) as raised:
        import_csv_export(small_export)

    assert str(raised.value) == (
        "products.csv has no column categories, which Kontor needs to import it "
        "(found: sku, enabled, family, parent, groups, name, ean, price-EUR). "
        "Export the file again from Akeneo with all its columns."
    )
    assert not Product.objects.exists()


def test_missing_column_in_german(db, small_export):
    write_products(small_export, [product_line("CAM-1")])
    without_column(small_export, "family")

    with translation.override("de"):
        with pytest.raises(NotAnAkeneoExport) as raised:
            import_csv_export(small_export)
        message = str(raised.value)

    assert message.startswith("products.csv hat keine Spalte family, die Kontor für den Import braucht (gefunden: sku, categories, enabled,")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_file_is_rejected_whole(db, small_export, encoding):
    write_products(small_export, [product_line("CAM-1")], encoding=encoding)
    path = small_export / "products.csv"
    bom = b"\xff\xfe" if encoding == "utf-16-le" else b"\xfe\xff"
    path.write_bytes(bom + path.read_bytes())

    with pytest.raises(NotAnAkeneoExport) as raised:
        import_csv_export(small_export)

    assert str(raised.value) == (
        "products.csv is saved as UTF-16: it starts with a UTF-16 byte order mark. "
        "Save it as UTF-8, the encoding of Akeneo's CSV exports, and import it again."
    )
    assert not Product.objects.exists()


def test_line_with_utf16_mark_is_rejected(db, small_export):
    write_products(small_export, [product_line("CAM-1"), product_line("X4"), product_line("CAM-3")])
    path = small_export / "products.csv"
    path.write_bytes(path.read_bytes().replace(b"\nX4;", b"\n\xff\xfeX4;"))

    stats = import_csv_export(small_export)

    assert sorted(Product.objects.values_list("sku", flat=True)) == ["CAM-1", "CAM-3"]
    assert stats.counts["products"]["failed"] == 1
    error = SyncError.objects.get(code="akeneo_utf16_line")
    assert error.message == (
        "products.csv, line 3: Line 3 starts with a UTF-16 byte order mark, so its record was not imported. "
        "Save the whole file as UTF-8 and import it again."
    )
    assert not SyncError.objects.filter(code="akeneo_not_utf8").exists()


def test_utf8_mark_inside_file_is_removed(db, small_export):
    write_products(small_export, [product_line("CAM-1"), product_line("X4")])
    path = small_export / "products.csv"
    path.write_bytes(path.read_bytes().replace(b"\nX4;", b"\n\xef\xbb\xbfX4;"))

    stats = import_csv_export(small_export)

    assert stats.failed == 0
    assert sorted(Product.objects.values_list("sku", flat=True)) == ["CAM-1", "X4"]
    warning = SyncError.objects.get(code="akeneo_bom_in_line")
    assert warning.payload["line"] == 3
    assert warning.payload["severity"] == "warning"
