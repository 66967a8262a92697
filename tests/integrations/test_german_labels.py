"""German texts outside the connector catalogues: the task lane in the admin and Shopware's test."""

import pytest
import responses
from django.apps import apps
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from integrations.services.connections import check_connection
from tests.shopware.conftest import channel, connection, fresh_cache  # noqa: F401 (fixtures)

SHOP_API = "http://testserver/sandbox/shopware/api"

pytestmark = pytest.mark.django_db


def test_lane_label_in_german():
    with translation.override("de"):
        label = str(apps.get_app_config("django_q").verbose_name)

    assert label == "Aufgabenwarteschlange (alle Spuren)"


def test_lane_label_in_german_admin(client):
    client.force_login(get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-admin-1"))

    # The override restores the language afterwards; LocaleMiddleware would leave German active.
    with translation.override("de"):
        html = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert "Aufgabenwarteschlange (alle Spuren)" in html
    assert "Task queue (all lanes)" not in html


def mock_shop():
    """Fake the two calls of the health check with Shopware's Admin API payloads.

    The in-process sandbox responds through Django's request handling, which resets the active
    language, so the German text could not be checked through it.
    """
    responses.post(f"{SHOP_API}/oauth/token", json={"token_type": "Bearer", "expires_in": 600, "access_token": "tok-1"})
    responses.post(f"{SHOP_API}/search/currency", json={"total": 1, "data": [{"id": "b7d2554b0ce847cd82f3ac9bd1c0dfca", "isoCode": "EUR", "isSystemDefault": True}]})


@responses.activate
def test_shopware_test_connection_german(connection):  # noqa: F811
    mock_shop()

    with translation.override("de"):
        result = check_connection(connection)

    assert result == (True, "Mit Shopware verbunden; Standardwährung EUR")


@responses.activate
def test_shopware_test_connection_english(connection):  # noqa: F811
    mock_shop()

    with translation.override("en"):
        result = check_connection(connection)

    assert result == (True, "Connected to Shopware; default currency EUR")


def test_sync_run_duration_in_german_seconds():
    from datetime import timedelta

    from django.utils import timezone

    from integrations.admin.sync import SyncRunAdmin
    from integrations.models import SyncRun

    run = SyncRun(started_at=timezone.now(), finished_at=timezone.now() + timedelta(seconds=16, microseconds=137151))
    with translation.override("de"):
        duration = SyncRunAdmin.duration_shown(None, run)
        label = str(SyncRunAdmin.duration_shown.short_description)

    assert duration == "16,1 s"
    assert label == "Dauer"


def test_root_redirects_to_admin(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
