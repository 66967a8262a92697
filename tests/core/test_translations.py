"""The German catalogs of the canonical apps are complete and their committed .mo files current."""

import gettext
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings

CATALOGS = ["locale", "core/locale", "catalog/locale", "orders/locale", "customers/locale"]


def german_catalog(folder):
    path = Path(settings.BASE_DIR) / folder / "de" / "LC_MESSAGES"
    with open(path / "django.po", "rb") as po_file:
        messages = [message for message in read_po(po_file, locale="de") if message.id]
    with open(path / "django.mo", "rb") as mo_file:
        compiled = gettext.GNUTranslations(mo_file)
    return messages, compiled


@pytest.mark.parametrize("folder", CATALOGS)
def test_german_catalog_fully_translated(folder):
    messages, _compiled = german_catalog(folder)

    untranslated = [message.id for message in messages if not message.string or not all(message.string)]
    fuzzy = [message.id for message in messages if message.fuzzy]
    assert untranslated == []
    assert fuzzy == []


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
    assert stale == [], "run compilemessages for " + folder
