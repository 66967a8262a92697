import pytest
from django.db import connection


def pytest_collection_modifyitems(config, items):
    """Skip tests marked `postgres` when the suite runs on SQLite, and say why."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (row locks with SKIP LOCKED, concurrent writers, NULLS NOT DISTINCT); the suite runs on SQLite")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def staff_client(client):
    """Return the test client logged in as a superuser, for admin pages."""
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-admin-1"))
    return client


@pytest.fixture(autouse=True)
def _fresh_webhook_connection_cache():
    """Start each test without connections cached by the webhook intake of an earlier test."""
    from integrations.services.webhooks import forget_cached_connections

    forget_cached_connections()
    yield
    forget_cached_connections()


@pytest.fixture(autouse=True)
def _default_language_after_test():
    """Switch back to the default language after each test.

    Django's LocaleMiddleware leaves the language of a German request active in the test's
    thread, which changed the messages that later tests assert on.
    """
    yield
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """Hash the test users' passwords with MD5 instead of PBKDF2.

    Django's PBKDF2 runs a million iterations, about 0.3 s for each admin user that a test
    creates, which added minutes to the suite. No test checks how a password is stored.
    """
    from django.test import override_settings

    # override_settings, because Django caches the hashers until a setting_changed signal.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session", autouse=True)
def _flush_by_delete():
    """Empty the tables after a transactional test with DELETE instead of TRUNCATE.

    Django's flush truncates every table in one statement, and PostgreSQL makes a new file for
    each of them, which took 1 to 2 s after each transactional test. The tables hold a few rows
    then, which DELETE removes in milliseconds. Django creates its foreign keys DEFERRABLE
    INITIALLY DEFERRED, so the order of the deletes does not matter inside the flush's
    transaction.
    """
    if connection.vendor != "postgresql":
        yield
        return

    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences:
            return truncate(self, style, tables, reset_sequences=True, allow_cascade=allow_cascade)
        return [f"DELETE FROM {self.quote_name(table)};" for table in tables]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "sql_flush", sql_flush)
        yield
