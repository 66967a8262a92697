"""Which earlier import errors a CSV import resolves, and that a recurring one keeps its row."""

import pytest
from django.utils import timezone

from integrations.akeneo.api_source import ApiSource
from integrations.akeneo.importer import CatalogImport
from integrations.akeneo.services import import_csv_export
from integrations.models import DeltaCursor, SyncError, SyncRun
from tests.akeneo.conftest import product_line, write_products

# 4006381333932 has a wrong check digit, and 4006381333931 is a valid EAN-13.
BAD_GTIN = "4006381333932"
GOOD_GTIN = "4006381333931"


def open_errors(code="akeneo_invalid_gtin_checksum"):
    return dict(SyncError.objects.filter(code=code, resolved=False).values_list("external_id", "pk"))


def resolved_errors():
    return sorted(SyncError.objects.filter(resolved=True).values_list("external_id", "code"))


@pytest.fixture
def partial_export(tmp_path):
    """A folder with only a products.csv, as an export of a few selected products."""
    folder = tmp_path / "partial"
    folder.mkdir()
    return folder


@pytest.fixture
def imported(db, small_export):
    """Three imported products, of which CAM-1 and CAM-2 have a GTIN with a wrong check digit."""
    write_products(small_export, [product_line("CAM-1", ean=BAD_GTIN), product_line("CAM-2", ean="4006381333925"), product_line("CAM-3")])
    import_csv_export(small_export)
    errors = open_errors()
    assert sorted(errors) == ["CAM-1", "CAM-2"]
    return errors


def test_partial_export_keeps_other_errors(imported, partial_export):
    write_products(partial_export, [product_line("CAM-3")])

    import_csv_export(partial_export)

    assert open_errors() == imported
    assert resolved_errors() == []


def test_partial_export_resolves_corrected_product(imported, partial_export):
    write_products(partial_export, [product_line("CAM-1", ean=GOOD_GTIN)])

    import_csv_export(partial_export)

    assert open_errors() == {"CAM-2": imported["CAM-2"]}
    assert resolved_errors() == [("CAM-1", "akeneo_invalid_gtin_checksum")]


def test_recurring_error_keeps_its_row(imported, small_export):
    import_csv_export(small_export)
    import_csv_export(small_export)

    assert open_errors() == imported
    assert resolved_errors() == []
    error = SyncError.objects.get(pk=imported["CAM-1"])
    assert error.attempts == 3
    assert error.sync_run == SyncRun.objects.order_by("-pk").first()


def test_changed_value_updates_same_error(imported, partial_export):
    write_products(partial_export, [product_line("CAM-1", ean="4006381333949")])

    import_csv_export(partial_export)

    error = SyncError.objects.get(pk=imported["CAM-1"])
    assert error.resolved is False
    assert error.payload["value"] == "4006381333949"
    assert error.attempts == 2
    assert "GTIN 4006381333949 has a wrong check digit" in error.message


def test_rejected_product_keeps_unchecked_warnings(db, small_export):
    write_products(small_export, [product_line("CAM-1", ean=BAD_GTIN)])
    import_csv_export(small_export)
    write_products(small_export, [product_line("CAM-1", ean=BAD_GTIN, family="spaceships")])
    import_csv_export(small_export)

    write_products(small_export, [product_line("CAM-1", ean=BAD_GTIN, categories="moon")])
    import_csv_export(small_export)

    # The rejected product was not checked for its GTIN again, so that warning stays open.
    assert resolved_errors() == [("CAM-1", "akeneo_unknown_family")]
    assert sorted(SyncError.objects.filter(resolved=False).values_list("code", flat=True)) == ["akeneo_invalid_gtin_checksum", "akeneo_unknown_category"]


def test_removed_column_resolves_its_error(db, small_export):
    write_products(small_export, [product_line("CAM-1")])
    path = small_export / "products.csv"
    path.write_text(path.read_text().replace(";description-de_DE-ecommerce", ";colour"), encoding="utf-8")
    import_csv_export(small_export)
    import_csv_export(small_export)
    column = SyncError.objects.get(code="akeneo_unknown_attribute")
    assert column.external_id == "products.csv, line 1, column colour"
    assert column.attempts == 2

    write_products(small_export, [product_line("CAM-1")])
    import_csv_export(small_export)

    column.refresh_from_db()
    assert column.resolved is True


class FakeClient:
    """An Akeneo API client that lists the given products and nothing else."""

    def __init__(self, products):
        self.products = products

    def iter_items(self, path, params=None):
        return iter(self.products if path == "/products" else [])


def api_product(sku, ean):
    return {"identifier": sku, "enabled": True, "family": "camcorders", "categories": [], "values": {"ean": [{"locale": None, "scope": None, "data": ean}]}}


@pytest.mark.parametrize(("full", "open_skus"), [(True, ["CAM-1"]), (False, ["CAM-1", "CAM-2"])])
def test_full_api_run_resolves_gone_products(imported, full, open_skus):
    connection = SyncError.objects.get(pk=imported["CAM-1"]).connection
    # A delta run reads only the products changed since the cursor, so CAM-2 may still exist.
    DeltaCursor.objects.create(connection=connection, entity="products", updated_at=timezone.now())
    source = ApiSource(connection, full=full, client=FakeClient([api_product("CAM-1", BAD_GTIN)]))

    CatalogImport(connection, source).run()

    assert sorted(open_errors()) == open_skus
    assert open_errors()["CAM-1"] == imported["CAM-1"]
