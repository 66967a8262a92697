"""Admin pages as the test client gets them in a given language."""

from django.utils import translation


def admin_page(client, url, language="de", **kwargs):
    """Return the page at `url` as the admin renders it in `language`."""
    # The override restores the language afterwards, because LocaleMiddleware would leave the
    # language active for the tests that follow.
    with translation.override(language):
        return client.get(url, HTTP_ACCEPT_LANGUAGE=language, **kwargs).content.decode()


def render_page(client, url, language):
    """Return the page at `url` in `language`, after checking that it rendered."""
    with translation.override(language):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()
