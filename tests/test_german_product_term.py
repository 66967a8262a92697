"""German texts call a product "Artikel", as the catalog's model name does, and never "Produkt"."""

from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from catalog.models import Product
from integrations.models import Connection, SyncError

BASE_DIR = Path(settings.BASE_DIR)

# DHL calls its shipping services products, such as V01PAK (DHL Paket). They are not catalog products.
OTHER_MEANINGS = {"Product, such as V01PAK"}


def german_messages():
    """Yield (catalog path, msgid, msgstr) for every translated message of every German catalog."""
    for path in sorted(BASE_DIR.glob("**/locale/de/LC_MESSAGES/django.po")):
        if ".venv" in path.parts:
            continue
        with open(path, "rb") as po_file:
            for message in read_po(po_file, locale="de"):
                msgid = message.id[0] if isinstance(message.id, tuple) else message.id
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                for msgstr in strings:
                    yield str(path.relative_to(BASE_DIR)), msgid, msgstr


def test_catalog_model_is_called_artikel():
    with translation.override("de"):
        assert str(Product._meta.verbose_name) == "Artikel"
        assert str(Product._meta.verbose_name_plural) == "Artikel"


def test_no_german_message_says_produkt():
    found = [
        (path, msgid)
        for path, msgid, msgstr in german_messages()
        if "produkt" in msgstr.lower() and msgid not in OTHER_MEANINGS
    ]

    assert found == []


@pytest.mark.django_db
def test_sync_error_entity_filter_says_artikel(client):
    # given a sync error about products
    client.force_login(get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-admin-1"))
    connection = Connection.objects.create(kind="shopware", name="Shop DE", slug="shop-de", base_url="https://shop.example.com")
    SyncError.objects.create(connection=connection, direction="outbound", entity="products", external_id="SKU-1", code="rejected", message="x")

    # when the German list opens
    with translation.override("de"):
        html = client.get(reverse("admin:integrations_syncerror_changelist"), HTTP_ACCEPT_LANGUAGE="de").content.decode()

    # then the entity filter and the column name products "Artikel", as the catalog menu does
    assert '<a href="?entity__exact=products">Artikel</a>' in html
    assert '<td class="field-entity">Artikel</td>' in html
    assert "Produkte" not in html
