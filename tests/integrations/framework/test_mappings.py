import pytest

from integrations.itemerrors import MappingMissing
from integrations.models import CategoryMapping, ValueMapping
from integrations.services.mappings import (
    category_from_external,
    import_mappings_csv,
    map_category,
    map_value,
)

pytestmark = pytest.mark.django_db


def test_missing_mapping_names_value(shop):
    with pytest.raises(MappingMissing) as raised:
        map_category(shop, "shoes/running")

    message = raised.value.support_message
    assert '"shoes/running"' in message
    assert "Shop" in message
    assert raised.value.code == "mapping_missing"


def test_mapping_both_directions(shop):
    CategoryMapping.objects.create(connection=shop, canonical_code="shoes", external_code="17")
    ValueMapping.objects.create(connection=shop, attribute="color", canonical_code="red", external_code="Rot")

    assert map_category(shop, "shoes") == "17"
    assert category_from_external(shop, "17") == "shoes"
    assert map_value(shop, "color", "red") == "Rot"


def test_csv_import_creates_and_updates(shop):
    CategoryMapping.objects.create(connection=shop, canonical_code="shoes", external_code="old")
    text = "canonical_code;external_code;external_label\nshoes;17;Schuhe\nbags;18;Taschen\n"

    result = import_mappings_csv(shop, "category", text)

    assert (result.created, result.updated, result.errors) == (1, 1, [])
    assert dict(CategoryMapping.objects.values_list("canonical_code", "external_code")) == {"shoes": "17", "bags": "18"}


def test_csv_import_rejects_file_with_bad_row(shop):
    text = "attribute,canonical_code,external_code\ncolor,red,Rot\ncolor,,Blau\n"

    result = import_mappings_csv(shop, "value", text)

    assert result.errors == ["Line 3: the column canonical_code is empty."]
    assert ValueMapping.objects.count() == 0


def test_csv_import_names_missing_column(shop):
    result = import_mappings_csv(shop, "value", "canonical_code,external_code\nred,Rot\n")

    assert result.errors == [
        "The CSV file has no column attribute. The first row must name the columns attribute, canonical_code, external_code."
    ]


def test_missing_mapping_message_reads_whole(shop):
    with pytest.raises(MappingMissing) as raised:
        map_value(shop, "color", "teal")

    assert raised.value.support_message == (
        'No value mapping for the value "teal" in Shop. Add it under Integrations > value mappings '
        "(or import a CSV), then retry."
    )
