"""Row checks of the mapping CSV import: lengths, NUL characters, duplicates and German plurals."""

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from integrations.models import CategoryMapping, ValueMapping
from integrations.services.mappings import import_mappings_csv

pytestmark = pytest.mark.django_db


def test_csv_code_too_long_rejected(shop):
    text = "canonical_code,external_code\nshoes,17\nbags," + "x" * 5000 + "\n"

    result = import_mappings_csv(shop, "category", text)

    assert result.errors == [
        "Line 3, column external_code: the value has 5000 characters, but at most 255 are allowed. Shorten it."
    ]
    assert (result.created, result.updated) == (0, 0)
    assert CategoryMapping.objects.count() == 0


def test_csv_code_of_max_length_accepted(shop):
    text = "canonical_code,external_code\nshoes," + "x" * 255 + "\n"

    result = import_mappings_csv(shop, "category", text)

    assert result.errors == []
    assert CategoryMapping.objects.get().external_code == "x" * 255


def test_csv_label_too_long_rejected(shop):
    text = "canonical_code,external_code,external_label\nshoes,17," + "L" * 256 + "\n"

    result = import_mappings_csv(shop, "category", text)

    assert result.errors == [
        "Line 2, column external_label: the value has 256 characters, but at most 255 are allowed. Shorten it."
    ]
    assert CategoryMapping.objects.count() == 0


def test_csv_nul_character_rejected(shop):
    text = "attribute,canonical_code,external_code\ncolor,red,Rot\ncolor,bl\x00ue,Blau\n"

    result = import_mappings_csv(shop, "value", text)

    assert result.errors == [
        "Line 3, column canonical_code: the value contains a NUL character. Remove it; it often means the file "
        "was saved as UTF-16 or is not a text file."
    ]
    assert ValueMapping.objects.count() == 0


def test_csv_duplicate_code_rejected(shop):
    CategoryMapping.objects.create(connection=shop, canonical_code="shoes", external_code="old")
    text = "canonical_code,external_code\nshoes,17\nbags,18\nshoes,19\n"

    result = import_mappings_csv(shop, "category", text)

    assert result.errors == ["Lines 2 and 4 both map the Kontor code shoes. Keep one of the two rows."]
    assert (result.created, result.updated) == (0, 0)
    assert dict(CategoryMapping.objects.values_list("canonical_code", "external_code")) == {"shoes": "old"}


def test_csv_duplicate_value_names_attribute(shop):
    text = "attribute,canonical_code,external_code\ncolor,red,Rot\nsize,red,R\ncolor,red,Rosso\n"

    result = import_mappings_csv(shop, "value", text)

    assert result.errors == [
        "Lines 2 and 4 both map the Kontor code red of attribute color. Keep one of the two rows."
    ]
    assert ValueMapping.objects.count() == 0


def test_csv_field_over_csv_limit_rejected(shop):
    text = "canonical_code,external_code\nshoes,17\nbags," + "x" * 200_000 + "\n"

    result = import_mappings_csv(shop, "category", text)

    assert result.errors == [
        "Line 3 cannot be read as CSV (field larger than field limit (131072)). "
        "Check the quotes and the length of that row."
    ]
    assert CategoryMapping.objects.count() == 0


def test_csv_missing_columns_german_plural(shop):
    with translation.override("de"):
        result = import_mappings_csv(shop, "value", "attribute\ncolor\n")

    assert result.errors == [
        "Der CSV-Datei fehlen die Spalten canonical_code, external_code. "
        "Die erste Zeile muss die Spalten attribute, canonical_code, external_code benennen."
    ]


def test_csv_empty_columns_plural(shop):
    result = import_mappings_csv(shop, "value", "attribute,canonical_code,external_code\ncolor,,\n")

    assert result.errors == ["Line 2: the columns canonical_code, external_code are empty."]


def test_csv_import_admin_german_singular(staff_client, shop):
    upload = SimpleUploadedFile("mappings.csv", b"canonical_code,external_code\nshoes,17\n", content_type="text/csv")

    # The override restores the language afterwards; LocaleMiddleware would leave German active.
    with translation.override("de"):
        response = staff_client.post(
            reverse("admin:integrations_categorymapping_import"),
            {"connection": shop.pk, "file": upload},
            HTTP_ACCEPT_LANGUAGE="de",
        )

    assert response.status_code == 302
    assert [str(message) for message in get_messages(response.wsgi_request)] == ["1 Zuordnung angelegt, 0 aktualisiert."]


def test_csv_import_admin_long_code_shows_error(staff_client, shop):
    upload = SimpleUploadedFile("mappings.csv", ("canonical_code,external_code\nshoes," + "x" * 5000 + "\n").encode(), content_type="text/csv")

    with translation.override("en"):
        response = staff_client.post(
            reverse("admin:integrations_categorymapping_import"),
            {"connection": shop.pk, "file": upload},
            HTTP_ACCEPT_LANGUAGE="en",
        )

    assert response.status_code == 200
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "Line 2, column external_code: the value has 5000 characters, but at most 255 are allowed. Shorten it.",
        "Nothing was imported. Correct the file and upload it again.",
    ]
    assert CategoryMapping.objects.count() == 0
