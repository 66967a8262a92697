"""The developer guide describes how to update a German catalog: by hand, then msgfmt."""

from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
COMPILE_COMMAND = "msgfmt -c -o orders/locale/de/LC_MESSAGES/django.mo orders/locale/de/LC_MESSAGES/django.po"


def section(document, heading):
    """Return the text of `document` from `heading` up to the next heading of the same level."""
    text = (BASE_DIR / document).read_text(encoding="utf-8")
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end]


def test_development_guide_translations_section():
    text = section("docs/development.md", "## Translations")

    assert COMPILE_COMMAND in text
    assert "<app>/locale/de/LC_MESSAGES/django.po" in text
    assert "tests/core/test_translations.py" in text
    assert "manage.py makemessages" not in text
    assert "compilemessages" not in text
