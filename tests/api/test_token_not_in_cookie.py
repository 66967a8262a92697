"""The one-time API token shown in the admin never travels in a cookie."""

import re

import pytest
from django.contrib.messages.storage.cookie import CookieStorage
from django.urls import reverse

from apiclients.models import ApiClient

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r"kt_[A-Za-z0-9_-]{43}")


def set_cookie_headers(response):
    return [morsel.OutputString() for morsel in response.cookies.values()]


def shown_token(staff_client, response):
    """Follow the redirect and return the token that the admin message shows."""
    page = staff_client.get(response["Location"]).content.decode()
    (token,) = TOKEN.findall(page)
    return token


def test_new_token_absent_from_cookies(staff_client, channel):
    response = staff_client.post(
        reverse("admin:apiclients_apiclient_add"),
        {"name": "Storefront", "channel": channel.pk, "scopes": ["catalog:read"], "throttle_rate": "", "is_active": "on"},
    )

    assert response.status_code == 302
    token = shown_token(staff_client, response)
    assert ApiClient.objects.get().token_prefix == token[:11]
    assert CookieStorage.cookie_name not in response.cookies
    for header in set_cookie_headers(response):
        assert token not in header


def test_rotated_token_absent_from_cookies(staff_client, channel):
    api_client = ApiClient.objects.create(name="Storefront", channel=channel, token_prefix="kt_old", token_hash="0" * 64)

    response = staff_client.post(
        reverse("admin:apiclients_apiclient_changelist"),
        {"action": "rotate_tokens", "_selected_action": [api_client.pk]},
    )

    assert response.status_code == 302
    token = shown_token(staff_client, response)
    api_client.refresh_from_db()
    assert api_client.token_prefix == token[:11]
    assert CookieStorage.cookie_name not in response.cookies
    for header in set_cookie_headers(response):
        assert token not in header
