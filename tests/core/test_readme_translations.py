"""Both READMEs describe the same way of updating a German catalog: by hand, then msgfmt."""

from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
COMPILE_COMMAND = "msgfmt -c -o orders/locale/de/LC_MESSAGES/django.mo orders/locale/de/LC_MESSAGES/django.po"


def section(readme, heading):
    """Return the text of `readme` from `heading` up to the next heading of the same level."""
    text = (BASE_DIR / readme).read_text(encoding="utf-8")
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end]


@pytest.mark.parametrize(("readme", "heading"), [("README.md", "## Translations"), ("README.de.md", "## Übersetzungen")])
def test_readme_translations_section(readme, heading):
    text = section(readme, heading)

    assert COMPILE_COMMAND in text
    assert "<app>/locale/de/LC_MESSAGES/django.po" in text
    assert "tests/core/test_translations.py" in text
    assert "manage.py makemessages" not in text
    assert "compilemessages" not in text
