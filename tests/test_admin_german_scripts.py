"""German admin pages get German texts from Django's admin JavaScript and from django-q2's admin."""

import re
from pathlib import Path

import django
import pytest
from django.conf import settings
from django.utils import translation
from django_q.models import Schedule, Task

from tests.monitoring.test_browser import CHROMIUM, CHROMIUM_ARGS, require_browser

pytestmark = pytest.mark.django_db

ADMIN_SCRIPTS = Path(django.__file__).parent / "contrib" / "admin" / "static" / "admin" / "js"
JS_CATALOG = "/admin/jsi18n/"


def select_filter_texts():
    """Return the texts that the filter_horizontal widget passes to gettext."""
    source = (ADMIN_SCRIPTS / "SelectFilter2.js").read_text()
    texts = set()
    for _quote, text in re.findall(r"""\bgettext\(\s*(['"])((?:\\.|(?!\1).)*)\1""", source):
        texts.add(text.replace("\\'", "'").replace('\\"', '"'))
    return texts


def js_catalog(client, **headers):
    """Return the admin's JavaScript catalog as {text: translation}, and the response."""
    response = client.get(JS_CATALOG, **headers)
    body = response.content.decode()
    pairs = re.findall(r'^    "((?:\\.|[^"\\])*)": "((?:\\.|[^"\\])*)",?$', body, flags=re.MULTILINE)
    return {unescape_js(key): unescape_js(value) for key, value in pairs}, response


def unescape_js(text):
    # The catalog writes non-ASCII letters as \uXXXX escapes.
    return text.encode().decode("unicode_escape")


def test_select_filter_texts_found():
    # The catalog test relies on this extraction, so it must find the widget's texts.
    texts = select_filter_texts()

    assert "Choose all %s" in texts
    assert 'Choose %s by selecting them and then select the "Choose" arrow button.' in texts
    assert len(texts) >= 10


def test_js_catalog_german_covers_select_filter(staff_client):
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"

    catalog, response = js_catalog(staff_client)

    assert response["Content-Language"] == "de"
    missing = sorted(text for text in select_filter_texts() if not catalog.get(text))
    assert missing == []
    assert catalog["Choose all %s"] == "Alle %s auswählen"
    assert catalog["Remove selected %s"] == "Markierte %s entfernen"


def test_js_catalog_follows_page_language(staff_client):
    german_page = staff_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="de")
    german_catalog, german = js_catalog(staff_client, HTTP_ACCEPT_LANGUAGE="de")
    english_catalog, english = js_catalog(staff_client, HTTP_ACCEPT_LANGUAGE="en")

    assert german_page["Content-Language"] == german["Content-Language"] == "de"
    assert german_catalog["Choose"] == "Auswählen"
    assert english["Content-Language"] == "en"
    assert "Choose" not in english_catalog
    # Caches must keep the two languages apart.
    assert "Accept-Language" in german["Vary"]
    assert "Cookie" in german["Vary"]


def test_filter_widget_in_german_browser(live_server, django_user_model):
    sync_playwright = require_browser()
    django_user_model.objects.create_superuser("support", "support@example.com", "support-pw-123")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="de-DE", extra_http_headers={"Accept-Language": "de"})

            # when a German user opens the API client form with its filter_horizontal widget
            page.goto(f"{live_server.url}/admin/login/?next=/admin/apiclients/apiclient/add/")
            page.fill("#id_username", "support")
            page.fill("#id_password", "support-pw-123")
            page.click("input[type=submit]")
            page.wait_for_selector("#id_other_price_lists_add_all")
            choose_all = page.locator("#id_other_price_lists_add_all").inner_text()
            choose_selected = page.locator("#id_other_price_lists_add").inner_text()
            help_text = page.locator("#id_other_price_lists_from_title .helptext").inner_text()
            available = page.locator("label[for=id_other_price_lists_from]").inner_text()
        finally:
            browser.close()

    # then the widget's texts are German, around the German field name
    assert choose_all == "Alle weitere Preislisten auswählen"
    assert choose_selected == "Markierte weitere Preislisten auswählen"
    assert help_text.startswith("Wählen Sie weitere Preislisten aus, indem Sie sie markieren")
    assert available.startswith("Verfügbare weitere Preislisten")


@pytest.mark.parametrize("model", [Schedule, Task])
def test_django_q_fields_in_german(model):
    # The German of these labels is the same word.
    same_in_german = {"ID", "Name", "Hook", "Cluster", "Cron"}

    untranslated = []
    for field in model._meta.fields:
        for text in (field.verbose_name, field.help_text):
            with translation.override("en"):
                english = str(text)
            with translation.override("de"):
                german = str(text)
            if english and english not in same_in_german and german == english:
                untranslated.append(english)

    assert untranslated == []


def test_schedule_admin_in_german(staff_client):
    Schedule.objects.create(name="Tagesbericht", func="monitoring.tasks.daily_summary", schedule_type=Schedule.DAILY)
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"

    form = staff_client.get("/admin/django_q/schedule/add/").content.decode()
    listing = staff_client.get("/admin/django_q/schedule/").content.decode()

    assert "Wie oft diese Aufgabe in die Warteschlange gestellt wird." in form
    assert "Nächste Ausführung dieses Zeitplans (gespeichert in UTC)." in form
    assert "Optionale Bezeichnung, an der Sie diesen Zeitplan in der Verwaltung erkennen." in form
    assert "How often this task should be enqueued." not in form
    assert "Tagesbericht" in listing
    assert "Letzte Ausführung" in listing
    assert "Last_run" not in listing
