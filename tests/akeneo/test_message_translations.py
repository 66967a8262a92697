"""Akeneo import errors are stored in English and German, whatever language the import ran in."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from integrations.akeneo.services import import_csv_export
from integrations.models import SyncError
from tests.akeneo.conftest import product_line, write_products

pytestmark = pytest.mark.django_db

GTIN_EN = (
    "products.csv, line 2, column ean: GTIN 4006381333932 has a wrong check digit. Check the number at its source. "
    "The product was imported without GTIN; its ean value is kept as text."
)
GTIN_DE = (
    "products.csv, Zeile 2, Spalte ean: GTIN 4006381333932 hat eine falsche Prüfziffer. "
    "Prüfen Sie die Nummer in ihrem Quellsystem. "
    "Der Artikel wurde ohne GTIN importiert; sein Wert für ean bleibt als Text erhalten."
)


def translations_of(code):
    return SyncError.objects.get(code=f"akeneo_{code}").message_translations


@pytest.mark.parametrize("language", ["en", "de"])
def test_gtin_error_stored_in_both_languages(small_export, language):
    write_products(small_export, [product_line("CAM-1", ean="4006381333932")])

    with translation.override(language):
        import_csv_export(small_export)

    assert translations_of("invalid_gtin_checksum") == {"en": GTIN_EN, "de": GTIN_DE}


def test_row_errors_stored_in_german(small_export):
    write_products(small_export, [
        product_line("CAM-1", family="spaceships"),
        product_line("CAM-2", weight="1,5", weight_unit="KILOGRAM"),
    ])

    with translation.override("en"):
        import_csv_export(small_export)

    assert translations_of("unknown_family") == {
        "en": "products.csv, line 2, column family: Family spaceships does not exist. "
        "Import families.csv with it first, or correct the family code.",
        "de": "products.csv, Zeile 2, Spalte family: Familie spaceships gibt es nicht. "
        "Importieren Sie zuerst families.csv mit dieser Familie, oder korrigieren Sie den Familiencode.",
    }
    assert translations_of("decimal_comma")["de"] == (
        "products.csv, Zeile 3, Spalte weight: 1,5 verwendet ein Komma als Dezimaltrennzeichen. "
        "Schreiben Sie 1.5, oder importieren Sie mit ',' als Dezimaltrennzeichen."
    )


def test_german_admin_shows_german_import_error(client, small_export):
    write_products(small_export, [product_line("CAM-1", ean="4006381333932")])
    with translation.override("en"):
        import_csv_export(small_export)
    client.force_login(get_user_model().objects.create_superuser("support", "support@example.com", "pw-support-1"))

    # The override restores the language afterwards; LocaleMiddleware would leave German active.
    with translation.override("de"):
        html = client.get(reverse("admin:integrations_syncerror_changelist"), HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert "hat eine falsche Prüfziffer" in html
    assert "has a wrong check digit" not in html
