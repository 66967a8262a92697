"""Admin pages rendered in German show German texts, not English labels or raw codes."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from apiclients.services import create_client
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_de(client):
    client.force_login(get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-admin-1"))
    return client


def get_german(client, url, **kwargs):
    """Return the page at `url` as the German admin renders it."""
    # The override restores the language afterwards, because LocaleMiddleware would leave German
    # active for the tests that follow.
    with translation.override("de"):
        return client.get(url, HTTP_ACCEPT_LANGUAGE="de", **kwargs).content.decode()


# API clients


def test_api_client_list_german_scope_labels(admin_client_de):
    create_client(name="Storefront", channel=ChannelFactory(), scopes=["catalog:read", "orders:write"], actor="test")

    html = get_german(admin_client_de, reverse("admin:apiclients_apiclient_changelist"))

    assert '<td class="field-scope_list">Katalog lesen, Bestellungen aufgeben</td>' in html
    assert "catalog:read" not in html
    assert "orders:write" not in html


def test_api_client_list_unknown_scope_code(admin_client_de):
    create_client(name="Legacy app", channel=ChannelFactory(), scopes=["catalog:read", "stock:read"], actor="test")

    html = get_german(admin_client_de, reverse("admin:apiclients_apiclient_changelist"))

    assert '<td class="field-scope_list">Katalog lesen, stock:read</td>' in html
