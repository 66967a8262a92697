"""Text that workers store for merchants to read later, kept in every language Kontor ships.

A worker has no request language, so what it writes with gettext is in the default language.
Records that merchants read in the admin store their text once per language as well, and the
admin shows the reader's language.
"""

from django.conf import settings
from django.utils import translation


class Translatable:
    """A message template (a gettext_lazy string) and its parameters, rendered in the active language."""

    def __init__(self, template, **params):
        self.template = template
        self.params = params

    def __str__(self):
        # Only a template with parameters is formatted, so a plain "100 %" stays as it is. The
        # template itself takes the parameters, because an ngettext_lazy template picks its
        # plural form from them and renders as "" through str() alone.
        return str(self.template % self.params) if self.params else str(self.template)

    def __repr__(self):
        return f"Translatable({str(self.template)!r}, {self.params!r})"


class JoinedText:
    """Parts (Translatable or plain) joined by a separator when rendered, for a list inside a message."""

    def __init__(self, parts, separator):
        self.parts = list(parts)
        self.separator = separator

    def __str__(self):
        return self.separator.join(str(part) for part in self.parts)


def in_every_language(render):
    """Return {language code: render()} with each language of settings.LANGUAGES active in turn."""
    rendered = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            rendered[language] = render()
    return rendered


def translations_of(text):
    """Return {language code: text} of a Translatable, or {} for plain text, which has one language only."""
    if not isinstance(text, Translatable):
        return {}
    return in_every_language(lambda: str(text))


def in_active_language(text, translations):
    """Return the stored translation for the active language, else `text` as stored."""
    language = translation.get_language() or ""
    translations = translations or {}
    return translations.get(language) or translations.get(language.split("-")[0]) or text
