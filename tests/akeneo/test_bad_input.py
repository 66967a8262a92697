"""Row-level errors of a CSV import: the bad row is reported, the other rows are imported."""

import random
from decimal import Decimal

import pytest

from catalog.models import AttributeValue, Product
from integrations.akeneo.issues import NotAnAkeneoExport
from integrations.akeneo.services import import_csv_export
from integrations.models import SyncError
from tests.akeneo.conftest import DEMO_EXPORT, product_line, write_products


def messages(code):
    return list(SyncError.objects.filter(code=f"akeneo_{code}").values_list("message", flat=True))


def test_unknown_family_rejects_only_that_row(db, small_export):
    write_products(small_export, [product_line("CAM-1"), product_line("CAM-2", family="spaceships"), product_line("CAM-3")])

    stats = import_csv_export(small_export)

    assert sorted(Product.objects.values_list("sku", flat=True)) == ["CAM-1", "CAM-3"]
    assert stats.counts["products"] == {"created": 2, "updated": 0, "unchanged": 0, "failed": 1}
    assert messages("unknown_family") == [
        "products.csv, line 3, column family: Family spaceships does not exist. Import families.csv with it first, or correct the family code."
    ]


def test_unknown_option_code_names_column_and_value(db, small_export):
    write_products(small_export, [product_line("CAM-1", sensor_type="cmos"), product_line("CAM-2", sensor_type="foveon")])

    stats = import_csv_export(small_export)

    assert list(Product.objects.values_list("sku", flat=True)) == ["CAM-1"]
    assert stats.failed == 1
    assert messages("unknown_option") == [
        "products.csv, line 3, column sensor_type: Option foveon does not exist for attribute sensor_type. "
        "Add it to the attribute's options in Akeneo (attribute_options.csv), or correct the code."
    ]
    error = SyncError.objects.get(code="akeneo_unknown_option")
    assert (error.external_id, error.payload["value"], error.payload["line"]) == ("CAM-2", "foveon", 3)


def test_multi_select_with_unknown_option_is_rejected(db, small_export):
    write_products(small_export, [product_line("MFP-1", family="multifunctionals", multifunctional_functions="copy,teleport")])

    import_csv_export(small_export)

    assert not Product.objects.exists()
    assert messages("unknown_option")[0].startswith("products.csv, line 2, column multifunctional_functions: Option teleport does not exist")


def test_decimal_comma_rejected_where_not_allowed(db, small_export):
    write_products(small_export, [product_line("CAM-1", weight="1,5", weight_unit="KILOGRAM"), product_line("CAM-2", weight="1.5", weight_unit="KILOGRAM")])

    stats = import_csv_export(small_export)

    assert list(Product.objects.values_list("sku", flat=True)) == ["CAM-2"]
    assert stats.failed == 1
    assert messages("decimal_comma") == [
        "products.csv, line 2, column weight: 1,5 uses a comma as decimal separator. Write 1.5, or import with the decimal separator set to ','."
    ]


def test_decimal_comma_accepted_with_separator_option(db, small_export):
    write_products(small_export, [product_line("CAM-1", weight="1,5", weight_unit="KILOGRAM", price_EUR="499,90")])

    stats = import_csv_export(small_export, decimal_separator=",")

    assert stats.failed == 0
    weight = AttributeValue.objects.get(product__sku="CAM-1", attribute__code="weight")
    assert (str(weight.number_value.normalize()), weight.unit) == ("1.5", "KILOGRAM")
    assert list(Product.objects.get(sku="CAM-1").prices.values_list("amount", flat=True)) == [Decimal("499.90")]


def test_decimals_on_whole_number_attribute_rejected(db, small_export):
    write_products(small_export, [product_line("CAM-1", optical_zoom="2.5")])

    import_csv_export(small_export)

    assert not Product.objects.exists()
    assert messages("decimals_not_allowed") == [
        "products.csv, line 2, column optical_zoom: 2.5 is not a whole number, and attribute optical_zoom allows no decimals. "
        "Round it, or allow decimals on the attribute in Akeneo."
    ]


def test_wrong_gtin_check_digit_imports_without_gtin(db, small_export):
    write_products(small_export, [product_line("CAM-1", ean="4006381333932"), product_line("CAM-2", ean="4006381333931")])

    stats = import_csv_export(small_export)

    assert stats.failed == 0
    assert Product.objects.get(sku="CAM-2").gtin == "4006381333931"
    assert Product.objects.get(sku="CAM-1").gtin is None
    assert AttributeValue.objects.get(product__sku="CAM-1", attribute__code="ean").text_value == "4006381333932"
    assert messages("invalid_gtin_checksum") == [
        "products.csv, line 2, column ean: GTIN 4006381333932 has a wrong check digit. Check the number at its source. "
        "The product was imported without GTIN; its ean value is kept as text."
    ]


def test_gtin_with_lost_leading_zeros_gets_a_hint(db, small_export):
    # 0012345678905 is a valid EAN-13; a spreadsheet that stored it as a number wrote 12345678905.
    write_products(small_export, [product_line("CAM-1", ean="12345678905")])

    import_csv_export(small_export)

    assert Product.objects.get(sku="CAM-1").gtin is None
    assert messages("invalid_gtin_length") == [
        "products.csv, line 2, column ean: GTIN 12345678905 has 11 digits; a GTIN has 8, 12, 13 or 14. "
        "It looks like leading zeros were lost; did you mean 0012345678905? "
        "The product was imported without GTIN; its ean value is kept as text."
    ]


def test_duplicate_gtin_rejects_second_product(db, small_export):
    write_products(small_export, [product_line("CAM-1", ean="4006381333931"), product_line("CAM-2", ean="4006381333931")])

    stats = import_csv_export(small_export)

    assert list(Product.objects.values_list("sku", flat=True)) == ["CAM-1"]
    assert stats.failed == 1
    assert messages("duplicate_gtin") == [
        "products.csv, line 3, column ean: GTIN 4006381333931 already belongs to product CAM-1. Each product needs its own GTIN; correct one of them."
    ]


def test_bom_and_windows_line_endings(db, small_export):
    write_products(
        small_export,
        [product_line("CAM-1", description_en_US_ecommerce='"First line\r\nsecond line"'), product_line("CAM-2")],
        newline="\r\n",
        bom=True,
    )

    stats = import_csv_export(small_export)

    assert stats.failed == 0
    assert sorted(Product.objects.values_list("sku", flat=True)) == ["CAM-1", "CAM-2"]
    description = AttributeValue.objects.get(product__sku="CAM-1", attribute__code="description", locale="en_US")
    assert description.text_value == "First line\nsecond line"
    assert not SyncError.objects.exists()


def test_html_emoji_and_windows_1252_line(db, small_export):
    html = "<p>Robust <b>&amp;</b> leicht 📷</p>"
    # Akeneo quotes a field that contains the separator, as the entity's ';' here.
    write_products(small_export, [product_line("CAM-1", description_en_US_ecommerce=f'"{html}"'), product_line("CAM-2")])
    path = small_export / "products.csv"
    # The second product's German description was saved by a Windows tool: "Größe" in cp1252.
    data = path.read_bytes().replace(b"Camera CAM-2;", "Camera CAM-2 Größe;".encode("cp1252"))
    path.write_bytes(data)

    stats = import_csv_export(small_export)

    assert stats.failed == 0
    assert AttributeValue.objects.get(product__sku="CAM-1", attribute__code="description", locale="en_US").text_value == html
    assert AttributeValue.objects.get(product__sku="CAM-2", attribute__code="name").text_value == "Camera CAM-2 Größe"
    assert messages("not_utf8") == [
        "products.csv, line 3: Line 3 is not UTF-8 and was read as Windows-1252. Save the file as UTF-8 to be sure of its characters."
    ]


def test_unclosed_quote_row_is_rejected(db, small_export):
    write_products(small_export, [product_line("CAM-1"), "CAM-2;cameras;1", product_line("CAM-3")])

    stats = import_csv_export(small_export)

    assert sorted(Product.objects.values_list("sku", flat=True)) == ["CAM-1", "CAM-3"]
    assert stats.counts["products"]["failed"] == 1
    assert messages("column_count") == [
        "products.csv, line 3: The row has 3 fields but the header has 20. Check for a stray ';' or an unclosed quote."
    ]


def test_not_an_akeneo_export_is_rejected_whole(db, tmp_path):
    folder = tmp_path / "woocommerce"
    folder.mkdir()
    (folder / "products.csv").write_text("ID,Type,SKU,Name,Published\n1,simple,woo-1,Shirt,1\n", encoding="utf-8")

    with pytest.raises(NotAnAkeneoExport) as raised:
        import_csv_export(folder)

    assert str(raised.value) == (
        "products.csv is not an Akeneo CSV export: its header has no column categories, enabled, family "
        "(found: ID,Type,SKU,Name,Published). Export it from Akeneo as CSV with ';' as separator."
    )
    assert not Product.objects.exists()
    assert not SyncError.objects.exists()


def test_folder_without_export_files_is_rejected(db, tmp_path):
    with pytest.raises(NotAnAkeneoExport) as raised:
        import_csv_export(tmp_path)

    assert str(raised.value).startswith(f"{tmp_path} contains no Akeneo export file. Expected one or more of: channels.csv,")


def test_products_only_export_uses_stored_reference_data(db, small_export, tmp_path):
    import_csv_export(small_export)
    products_only = tmp_path / "products_only"
    products_only.mkdir()
    write_products(products_only, [product_line("CAM-9", sensor_type="ccd")])

    stats = import_csv_export(products_only)

    assert stats.counts["products"]["created"] == 1
    assert AttributeValue.objects.get(product__sku="CAM-9", attribute__code="sensor_type").option.code == "ccd"
    assert DEMO_EXPORT.is_dir()


def test_invalid_enabled_value_rejects_the_row(db, small_export):
    write_products(small_export, [product_line("CAM-1", enabled="maybe"), product_line("CAM-2", enabled="0"), product_line("CAM-3", enabled="true")])

    stats = import_csv_export(small_export)

    assert dict(Product.objects.values_list("sku", "enabled")) == {"CAM-2": False, "CAM-3": True}
    assert stats.counts["products"]["failed"] == 1
    assert messages("invalid_enabled") == [
        "products.csv, line 2, column enabled: maybe is not a valid enabled flag. Write 1 to enable the product or 0 to disable it."
    ]
    error = SyncError.objects.get(code="akeneo_invalid_enabled")
    assert (error.external_id, error.payload["value"], error.payload["line"]) == ("CAM-1", "maybe", 2)


def test_unreadable_csv_is_rejected_whole(db, small_export):
    write_products(small_export, [product_line("CAM-1")])
    with (small_export / "products.csv").open("ab") as stream:
        stream.write(b"CAM-2;cameras;1;camcorders\r;;\x00\xff\n")

    with pytest.raises(NotAnAkeneoExport) as raised:
        import_csv_export(small_export)

    assert str(raised.value) == (
        "products.csv, line 3: the file is not readable CSV (new-line character seen in unquoted field). "
        "Export it again from Akeneo as CSV with ';' as separator, and check that it is the export and not another file."
    )
    assert not Product.objects.exists()
    assert not SyncError.objects.exists()


def test_random_bytes_file_is_rejected_whole(db, small_export):
    (small_export / "products.csv").write_bytes(random.Random(7).randbytes(20000))

    with pytest.raises(NotAnAkeneoExport) as raised:
        import_csv_export(small_export)

    assert str(raised.value).startswith("products.csv")
    assert not Product.objects.exists()
