"""The django-q2 admin section is titled for the tasks of all lanes, in English and German."""

import pytest
from django.utils import translation

pytestmark = pytest.mark.django_db


def admin_index(client, language):
    # The override restores the language afterwards, because LocaleMiddleware would leave it active.
    with translation.override(language):
        return client.get("/admin/", HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_task_queue_section_title_english(staff_client):
    page = admin_index(staff_client, "en")

    assert "Task queue (all lanes)" in page
    assert "master lane" not in page


def test_task_queue_section_title_german(staff_client):
    page = admin_index(staff_client, "de")

    assert "Aufgabenwarteschlange (alle Spuren)" in page
    assert "Kontor-Warteschlange master" not in page
