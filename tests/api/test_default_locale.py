"""Which locale the API answers in when a request names none, and how .env.example describes it.

apiclients.context.resolve_locale takes the locale that ?locale= names. Without it, the best
match for Accept-Language among the locales of the channel and of API_LOCALE_FALLBACKS wins, else
the channel's first locale. API_DEFAULT_LOCALE applies only when the client's channel lists no
locales.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.api.catalog_data import build_catalog
from tests.api.conftest import make_client
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db

ENV_EXAMPLE = Path(settings.BASE_DIR) / ".env.example"


def product_locales(http, **headers):
    response = http.get("/api/v1/products/", **headers)
    assert response.status_code == 200, response.content
    return {item["sku"]: item["locale"] for item in response.json()["results"]}


def client_of(locales, price_list):
    channel = ChannelFactory(code="ecommerce", name="Ecommerce", locales=locales, currencies=["EUR"])
    build_catalog(channel, price_list)
    return make_client(channel, price_list=price_list)[1]


def test_channel_first_locale_beats_default(price_list, settings):
    settings.API_DEFAULT_LOCALE = "en_US"
    http = client_of(["fr_FR", "de_DE"], price_list)

    locales = product_locales(http)

    assert set(locales.values()) == {"fr_FR"}


def test_default_locale_without_channel_locales(price_list, settings):
    settings.API_DEFAULT_LOCALE = "de_AT"
    http = client_of([], price_list)

    locales = product_locales(http)

    assert set(locales.values()) == {"de_AT"}


def test_accept_language_beats_default(price_list, settings):
    settings.API_DEFAULT_LOCALE = "en_US"
    http = client_of([], price_list)

    locales = product_locales(http, HTTP_ACCEPT_LANGUAGE="de-CH")

    assert set(locales.values()) == {"de_CH"}


def env_example_comment(variable):
    """Return the comment lines directly above `# VARIABLE=` in .env.example, joined."""
    lines = ENV_EXAMPLE.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(f"# {variable}="))
    comment = []
    for line in reversed(lines[:index]):
        if not line.startswith("#") or re.match(r"# [A-Z_]+=", line):
            break
        comment.insert(0, line.lstrip("# "))
    return " ".join(comment)


def test_env_example_states_locale_rule():
    comment = env_example_comment("API_DEFAULT_LOCALE")

    assert "Accept-Language" in comment
    assert "channel's first locale" in comment
    assert "channel lists no locales" in comment
