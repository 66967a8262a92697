"""Import of the whole Akeneo demo export (demo/akeneo/icecat_demo_dev)."""

from datetime import date
from decimal import Decimal

from catalog.models import (
    Attribute,
    AttributeOption,
    AttributeValue,
    Category,
    Channel,
    Price,
    Product,
    ProductModel,
    ProductTranslation,
    ProductType,
    VariantScheme,
)
from integrations.akeneo.services import import_csv_export
from integrations.models import Binding, LeadingSystemRule, SyncError, SyncRun, SyncRunState


def value_of(sku, attribute, locale="", channel=""):
    return AttributeValue.objects.get(product__sku=sku, attribute__code=attribute, locale=locale, channel=channel)


def test_demo_import_counts_per_entity(demo_import):
    assert Product.objects.count() == 1239
    assert ProductModel.objects.count() == 81
    assert ProductModel.objects.filter(parent__isnull=False).count() == 31
    assert ProductType.objects.count() == 17
    assert VariantScheme.objects.count() == 9
    assert Attribute.objects.count() == 77
    assert AttributeOption.objects.count() == 121
    assert Category.objects.count() == 168
    assert Channel.objects.count() == 3
    assert Price.objects.count() == 200
    assert demo_import.failed == 0
    assert demo_import.counts["products"] == {"created": 1239, "updated": 0, "unchanged": 0, "failed": 0}
    assert demo_import.counts["product_models"]["created"] == 81
    assert demo_import.counts["prices"]["created"] == 200


def test_demo_import_records_sync_run_and_warnings(demo_import):
    run = SyncRun.objects.get()
    assert run.state == SyncRunState.SUCCEEDED
    assert run.failed_count == 0
    # The demo's EANs 1234567890xxx have made-up check digits: 105 of 115 are wrong.
    assert SyncError.objects.filter(code="akeneo_invalid_gtin_checksum").count() == 105
    # 18 variants name their parent "Model-..." while the model's code is "model-...".
    assert SyncError.objects.filter(code="akeneo_parent_case").count() == 18
    error = SyncError.objects.filter(code="akeneo_invalid_gtin_checksum", external_id="1111111171").get()
    assert error.message.startswith("products.csv, line 2, column ean: GTIN 1234567890183 has a wrong check digit.")
    assert error.payload == {"entity": "products", "source": "products.csv", "line": 2, "column": "ean", "value": "1234567890183", "severity": "warning"}
    assert Product.objects.filter(gtin__isnull=False).count() == 10


def test_demo_values_per_attribute_type(demo_import):
    assert value_of("12361250", "optical_zoom").number_value == Decimal("32")
    assert value_of("12361250", "image_stabilizer").boolean_value is True
    assert value_of("12361250", "release_date", channel="ecommerce").date_value == date(2012, 1, 17)
    assert value_of("12361250", "sensor_type").option.code == "cmos"
    assert value_of("12361250", "total_megapixels").text_value == "3.28"
    assert value_of("12361250", "picture").text_value == "files/12361250/picture/15743_12361250-2167.jpg"
    assert value_of("12361250", "picture").media_id is None
    assert value_of("11704310", "multifunctional_functions").json_value == ["copy", "print", "scan"]
    assert value_of("Tshirt-divided-blue-s", "weight").number_value == Decimal("700")
    assert value_of("Tshirt-divided-blue-s", "weight").unit == "GRAM"
    assert value_of("Tshirt-divided-blue-s", "price").json_value == [{"amount": "19.00", "currency": "EUR"}, {"amount": "19.00", "currency": "USD"}]
    assert value_of("Tshirt-divided-blue-s", "variation_name", locale="fr_FR").text_value == "T-shirt en coton avec un col rond Divided bleu"
    assert value_of("Tshirt-divided-blue-s", "care_instructions").text_value == "Machine wash 40°"
    assert not AttributeValue.objects.filter(product__sku="12361250", attribute__code="sku").exists()


def test_demo_localized_and_scoped_texts(demo_import):
    description = value_of("11704310", "description", locale="en_US", channel="print").text_value
    assert description.startswith("- Up to 30 pages per minute in A4\\n- Time to first copy")
    german = value_of("11704310", "description", locale="de_DE", channel="print").text_value
    assert german.startswith("- Günstige Druckkosten dank ECOSYS-Technologie")
    multi_line = value_of("1111111149", "description", locale="en_US", channel="ecommerce").text_value
    assert multi_line.startswith("Length: Short\nLining: 100% polyester\nModel: Model is 179 cm")

    translations = {t.locale: t for t in ProductTranslation.objects.filter(product__sku="11704310")}
    assert sorted(translations) == ["de_DE", "en_US", "fr_FR"]
    assert translations["en_US"].name == "Kyocera FS-1030MFP/DP/KL3"
    assert translations["de_DE"].description == german


def test_demo_variant_inherits_texts_and_prices(demo_import):
    variant = Product.objects.get(sku="1111111119")
    assert variant.parent.code == "apollon_blue"
    assert variant.parent.parent.code == "apollon"
    assert variant.product_type.code == "clothing"
    assert ProductTranslation.objects.get(product=variant, locale="en_US").name == "Apollon blue"
    assert list(variant.prices.values_list("price_list__code", "currency", "amount")) == [("pim", "EUR", Decimal("899.00"))]

    sticker = Product.objects.get(sku="AKNSTK")
    assert sticker.product_type is None
    assert sorted(sticker.prices.values_list("currency", "amount")) == [("EUR", Decimal("2.00")), ("USD", Decimal("3.00"))]


def test_demo_variant_axes_of_product_model(demo_import):
    model = ProductModel.objects.get(code="apollon")
    assert model.variant_scheme.code == "clothing_color_size"
    axes = [(axis.level, axis.attribute.code) for axis in model.variant_scheme.axes.all()]
    assert axes == [(1, "color"), (2, "size")]
    assert sorted(model.sub_models.values_list("code", flat=True)) == ["apollon_blue", "apollon_pink", "apollon_red", "apollon_yellow"]
    assert AttributeValue.objects.get(product_model__code="apollon_blue", attribute__code="color").option.code == "blue"
    scheme = VariantScheme.objects.get(code="shoes_size")
    assert [(axis.level, axis.attribute.code) for axis in scheme.axes.all()] == [(1, "eu_shoes_size")]
    assert scheme.product_type.code == "shoes"


def test_demo_category_tree(demo_import):
    assert sorted(Category.objects.filter(parent__isnull=True).values_list("code", flat=True)) == ["master", "print", "sales", "suppliers"]
    cameras = Category.objects.get(code="digital_cameras")
    assert cameras.path == "master/cameras/digital_cameras"
    assert cameras.depth == 2
    assert cameras.labels == {"en_US": "Digital cameras", "de_DE": "Digitale Kameras", "fr_FR": "Caméras digitales"}
    assert Category.objects.get(code="master").subtree().filter(code="digital_cameras").exists()
    assert sorted(Product.objects.get(sku="12361250").categories.values_list("code", flat=True)) == ["camcorders", "cameras_sales", "canon"]


def test_demo_family_and_channels(demo_import):
    family = ProductType.objects.get(code="clothing")
    assert family.label_attribute.code == "variation_name"
    assert family.labels == {"en_US": "Clothing", "fr_FR": "Clothing", "de_DE": "Clothing"}
    assert family.attributes.count() == 23
    ecommerce = Channel.objects.get(code="ecommerce")
    assert ecommerce.locales == ["fr_FR", "de_DE", "en_US"]
    assert ecommerce.currencies == ["USD", "EUR"]
    weight = Attribute.objects.get(code="weight")
    assert (weight.type, weight.unit_family, weight.default_unit) == ("measurement", "Weight", "KILOGRAM")
    assert Attribute.objects.get(code="description").localizable is True
    assert Attribute.objects.get(code="description").scopable is True
    assert Attribute.objects.get(code="response_time").decimals_allowed is False


def test_second_import_changes_nothing(demo_import):
    products_before = dict(Product.objects.values_list("sku", "updated_at"))
    value_ids_before = set(AttributeValue.objects.values_list("id", flat=True))

    stats = import_csv_export(demo_import_path())

    for entity, created, updated, _unchanged, failed in stats.rows():
        assert (entity, created, updated, failed) == (entity, 0, 0, 0)
    assert stats.counts["products"]["unchanged"] == 1239
    assert stats.counts["categories"]["unchanged"] == 168
    assert dict(Product.objects.values_list("sku", "updated_at")) == products_before
    assert set(AttributeValue.objects.values_list("id", flat=True)) == value_ids_before
    assert SyncError.objects.filter(resolved=False, code="akeneo_invalid_gtin_checksum").count() == 105


def test_edited_product_updates_only_that_product(demo_import, demo_copy):
    # The module's demo import read the same files that demo_copy holds before the edit.
    before = dict(Product.objects.values_list("sku", "updated_at"))
    products = demo_copy / "products.csv"
    lines = products.read_text(encoding="utf-8").split("\n")
    row = next(number for number, line in enumerate(lines) if line.startswith("12361250;"))
    assert lines[row].count(";Canon LEGRIA HF R36;") == 1
    lines[row] = lines[row].replace(";Canon LEGRIA HF R36;", ";Canon LEGRIA HF R36 (2024);")
    products.write_text("\n".join(lines), encoding="utf-8")

    stats = import_csv_export(demo_copy)

    assert stats.counts["products"] == {"created": 0, "updated": 1, "unchanged": 1238, "failed": 0}
    after = dict(Product.objects.values_list("sku", "updated_at"))
    assert [sku for sku in after if after[sku] != before[sku]] == ["12361250"]
    assert value_of("12361250", "name").text_value == "Canon LEGRIA HF R36 (2024)"
    assert ProductTranslation.objects.get(product__sku="12361250", locale="en_US").name == "Canon LEGRIA HF R36 (2024)"
    assert value_of("12361250", "optical_zoom").number_value == Decimal("32")


def test_csv_connection_leads_product_master_data(demo_import):
    rules = {(rule.domain, rule.field_group): rule.connection.slug for rule in LeadingSystemRule.objects.all()}
    assert rules == {
        ("products", "texts"): "akeneo-csv-import",
        ("products", "attributes"): "akeneo-csv-import",
        ("products", "categories"): "akeneo-csv-import",
        ("products", "media"): "akeneo-csv-import",
        ("categories", ""): "akeneo-csv-import",
    }
    assert Binding.objects.filter(connection__slug="akeneo-csv-import", content_type__model="product").count() == 1239


def demo_import_path():
    from tests.akeneo.conftest import DEMO_EXPORT

    return DEMO_EXPORT
