"""A product whose label attribute is empty gets Akeneo's name "[SKU]" and a warning."""

from catalog.models import Product, ProductTranslation
from integrations.akeneo.services import import_csv_export
from integrations.models import SyncError
from tests.akeneo.conftest import product_line, write_products

CLOTHING_EN = (
    "products.csv, line 2: Product JACKET-S has no name: attribute variation_name, the label of family clothing, is empty. "
    "Kontor names it [JACKET-S], as Akeneo does, until you fill in variation_name in Akeneo."
)
CLOTHING_DE = (
    "products.csv, Zeile 2: Artikel JACKET-S hat keinen Namen: Attribut variation_name, die Bezeichnung der Familie clothing, ist leer. "
    "Kontor nennt ihn [JACKET-S], wie Akeneo es tut, bis Sie variation_name in Akeneo ausfüllen."
)


def names_of(sku):
    return dict(ProductTranslation.objects.filter(product__sku=sku).values_list("locale", "name"))


def test_empty_label_gets_sku_name_and_warning(db, small_export):
    # The clothing family takes its label from variation_name, but the row fills only `name`.
    write_products(small_export, [product_line("JACKET-S", family="clothing", categories="", name="Tweed jacket")])

    import_csv_export(small_export)

    assert names_of("JACKET-S") == {"de_DE": "[JACKET-S]", "en_US": "[JACKET-S]", "fr_FR": "[JACKET-S]"}
    error = SyncError.objects.get(code="akeneo_missing_name")
    assert error.external_id == "JACKET-S"
    assert error.payload["severity"] == "warning"
    assert error.message_translations == {"en": CLOTHING_EN, "de": CLOTHING_DE}


def test_product_without_family_names_attribute(db, small_export):
    write_products(small_export, [product_line("STICKER", family="", categories="", name="")])

    import_csv_export(small_export)

    assert names_of("STICKER")["en_US"] == "[STICKER]"
    assert SyncError.objects.get(code="akeneo_missing_name").message == (
        "products.csv, line 2: Product STICKER has no name: it has no family, and its attribute name is empty. "
        "Kontor names it [STICKER], as Akeneo does, until you fill in name in Akeneo."
    )


def test_description_kept_beside_fallback_name(db, small_export):
    write_products(small_export, [product_line("CAM-1", name="", description_en_US_ecommerce="Small camera")])

    import_csv_export(small_export)

    english = ProductTranslation.objects.get(product__sku="CAM-1", locale="en_US")
    assert english.name == "[CAM-1]"
    assert english.description == "Small camera"


def test_named_product_has_no_warning(db, small_export):
    write_products(small_export, [product_line("CAM-1")])

    import_csv_export(small_export)

    assert names_of("CAM-1")["en_US"] == "Camera CAM-1"
    assert not SyncError.objects.filter(code="akeneo_missing_name").exists()


def test_variant_takes_label_of_its_model(db, small_export):
    (small_export / "product_models.csv").write_text(
        "code;family_variant;parent;categories;variation_name-en_US\njacket;clothing_colorsize;;;Tweed jacket\n", encoding="utf-8"
    )
    (small_export / "products.csv").write_text(
        "sku;categories;enabled;family;parent;groups;size;color\nJACKET-S;;1;clothing;jacket;;s;blue\n", encoding="utf-8"
    )

    import_csv_export(small_export)

    assert names_of("JACKET-S")["en_US"] == "Tweed jacket"
    assert not SyncError.objects.filter(code="akeneo_missing_name").exists()


def test_demo_products_all_have_a_name(demo_import):
    # 80 clothing and shoes variants have an empty label attribute, and so have their models.
    assert SyncError.objects.filter(code="akeneo_missing_name", resolved=False).count() == 80
    assert not Product.objects.exclude(translations__name__gt="").exists()
    assert not ProductTranslation.objects.filter(name="").exists()
    assert names_of("1111111111") == {"de_DE": "[1111111111]", "en_US": "[1111111111]", "fr_FR": "[1111111111]"}
    assert names_of("1111111119")["en_US"] == "Apollon blue"
