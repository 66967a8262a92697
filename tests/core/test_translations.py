"""The German catalogs of all apps are complete, keep their msgid's placeholders, and their committed .mo files are current."""

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings

from tests.api.conftest import make_client
from tests.factories import ChannelFactory

BASE_DIR = Path(settings.BASE_DIR)

# Every German catalog in the repository, found on disk so that a new app's catalog is checked without editing this list.
CATALOGS = sorted(
    str(path.relative_to(BASE_DIR).parents[2])
    for path in BASE_DIR.glob("**/locale/de/LC_MESSAGES/django.po")
    if ".venv" not in path.parts
)

# A %-format placeholder as Python formats it, such as %(name)s, %(count)d or %s. placeholders() drops "%%", a literal percent sign.
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")


def german_catalog(folder):
    path = BASE_DIR / folder / "de" / "LC_MESSAGES"
    with open(path / "django.po", "rb") as po_file:
        messages = [message for message in read_po(po_file, locale="de") if message.id]
    with open(path / "django.mo", "rb") as mo_file:
        compiled = gettext.GNUTranslations(mo_file)
    return messages, compiled


def placeholders(text):
    return sorted(found for found in PLACEHOLDER.findall(text) if found != "%%")


def test_every_app_catalog_found():
    expected = {"locale", "core/locale", "catalog/locale", "orders/locale", "customers/locale", "apiclients/locale", "monitoring/locale", "integrations/locale"}

    assert expected <= set(CATALOGS)


@pytest.mark.parametrize("folder", CATALOGS)
def test_german_catalog_fully_translated(folder):
    messages, _compiled = german_catalog(folder)

    untranslated = [message.id for message in messages if not message.string or not all(message.string)]
    fuzzy = [message.id for message in messages if message.fuzzy]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("folder", CATALOGS)
def test_german_placeholders_match_msgid(folder):
    messages, _compiled = german_catalog(folder)

    mismatched = []
    for message in messages:
        if isinstance(message.id, tuple):
            # The singular form pairs with msgid and every other plural form with msgid_plural.
            pairs = [(message.id[0], message.string[0])] + [(message.id[1], form) for form in message.string[1:]]
        else:
            pairs = [(message.id, message.string)]
        for source, translation in pairs:
            if translation and placeholders(source) != placeholders(translation):
                mismatched.append((source, translation))
    assert mismatched == []


@pytest.mark.parametrize("folder", CATALOGS)
def test_german_mo_matches_po(folder):
    messages, compiled = german_catalog(folder)

    stale = []
    for message in messages:
        if isinstance(message.id, tuple):
            actual = compiled.ngettext(message.id[0], message.id[1], 2)
            expected = message.string[1]
        elif message.context:
            actual = compiled.pgettext(message.context, message.id)
            expected = message.string
        else:
            actual = compiled.gettext(message.id)
            expected = message.string
        if actual != expected:
            stale.append(message.id)
    assert stale == [], f"compile the catalog: msgfmt -c -o {folder}/de/LC_MESSAGES/django.mo {folder}/de/LC_MESSAGES/django.po"


@pytest.mark.django_db
def test_api_error_in_german():
    channel = ChannelFactory(code="web-de", locales=["de_DE"], currencies=["EUR"])
    _client, http = make_client(channel)

    response = http.get("/api/v1/products/?colour=red", HTTP_ACCEPT_LANGUAGE="de")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unknown_parameter"
    assert body["field"] == "colour"
    assert body["message"].startswith("Unbekannter Abfrageparameter colour. Erlaubt sind: ")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        ({}, "Senden Sie ein API-Token als „Authorization: Bearer <token>“."),
        ({"HTTP_AUTHORIZATION": "Bearer not-a-token"}, "Das Token ist ungültig. Bitten Sie den Händler um ein neues."),
    ],
)
def test_api_token_error_in_german(client, authorization, message):
    response = client.get("/api/v1/products/", HTTP_ACCEPT_LANGUAGE="de", **authorization)

    assert response.status_code == 401
    assert response.json()["message"] == message
