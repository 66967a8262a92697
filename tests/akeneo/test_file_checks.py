"""Checks of a whole CSV file before import: its header columns."""

import pytest
from django.utils import translation

from catalog.models import Product
from integrations.akeneo.issues import NotAnAkeneoExport
from integrations.akeneo.services import import_csv_export
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
