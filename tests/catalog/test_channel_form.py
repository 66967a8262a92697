"""A merchant types a channel's currencies and locales as codes separated by commas."""

import pytest
from django.urls import reverse
from django.utils import translation

from catalog.models import Channel
from tests.admin_pages import render_page

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:catalog_channel_add")


def add_channel(client, currencies, locales="de_DE, en_GB", language="en"):
    data = {"code": "shop-ch", "name": "Shop CH", "currencies": currencies, "locales": locales, "is_active": "on"}
    with translation.override(language):
        return client.post(ADD_URL, data, HTTP_ACCEPT_LANGUAGE=language)


def test_codes_typed_with_commas_saved_as_list(staff_client):
    response = add_channel(staff_client, "eur, CHF;  EUR")

    channel = Channel.objects.get(code="shop-ch")
    assert response.status_code == 302
    assert channel.currencies == ["EUR", "CHF"]
    assert channel.locales == ["de_DE", "en_GB"]


def test_change_page_shows_codes_with_commas(staff_client):
    channel = Channel.objects.create(code="shop-de", name="Shop DE", currencies=["EUR", "GBP"], locales=["de_DE"])

    page = render_page(staff_client, reverse("admin:catalog_channel_change", args=[channel.pk]), "en")

    assert 'value="EUR, GBP"' in page
    assert 'value="de_DE"' in page


def test_unknown_currency_named_in_german(staff_client):
    response = add_channel(staff_client, "EUR, XYZ", language="de")

    assert response.status_code == 200
    assert "Unbekannte Währung XYZ. Verwenden Sie ISO-4217-Codes wie EUR, durch Kommas getrennt." in response.content.decode()
    assert not Channel.objects.filter(code="shop-ch").exists()


def test_invalid_locale_rejected(staff_client):
    response = add_channel(staff_client, "EUR", locales="de_DE, German")

    assert response.status_code == 200
    assert "Invalid locale German. Use codes such as de_DE, separated by commas." in response.content.decode()
    assert not Channel.objects.filter(code="shop-ch").exists()
