import pytest

from integrations.errors import ServerError
from integrations.models import Connection, SyncError, SyncRunState
from integrations.services.syncruns import (
    count_outcome,
    finish_sync_run,
    record_sync_error,
    start_sync_run,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection():
    return Connection.objects.create(kind="akeneo", name="PIM", slug="pim")


def test_run_with_failed_items_is_partial(connection):
    run = start_sync_run(connection, "pull", "products")
    count_outcome(run, "created", read=1)
    count_outcome(run, "failed", read=1)

    finish_sync_run(run)

    run.refresh_from_db()
    assert run.state == SyncRunState.PARTIAL
    assert run.failed_count == 1


def test_run_without_failures_succeeds(connection):
    run = start_sync_run(connection, "pull", "products")
    count_outcome(run, "created", read=1)

    finish_sync_run(run)

    run.refresh_from_db()
    assert run.state == SyncRunState.SUCCEEDED


def test_same_failure_twice_keeps_one_open_error(connection):
    error = ServerError("boom", connection="pim", status=502)

    first = record_sync_error(connection, "push", error, entity="products", object_id="7", payload={"sku": "A"})
    second = record_sync_error(connection, "push", error, entity="products", object_id="7", payload={"sku": "A"}, attempts=3)

    assert second.pk == first.pk
    assert SyncError.objects.filter(resolved=False).count() == 1
    assert SyncError.objects.get().attempts == 3


def test_failure_after_resolution_opens_new_error(connection):
    error = ServerError("boom", connection="pim", status=502)
    first = record_sync_error(connection, "push", error, entity="products", object_id="7")
    SyncError.objects.filter(pk=first.pk).update(resolved=True)

    second = record_sync_error(connection, "push", error, entity="products", object_id="7")

    assert second.pk != first.pk
    assert SyncError.objects.count() == 2


def test_different_records_get_own_errors(connection):
    error = ServerError("boom", connection="pim", status=502)

    record_sync_error(connection, "push", error, entity="products", object_id="7")
    record_sync_error(connection, "push", error, entity="products", object_id="8")

    assert SyncError.objects.filter(resolved=False).count() == 2


def test_error_message_shown_in_reader_language(connection):
    from django.utils import translation

    from integrations.itemerrors import MappingMissing

    error = MappingMissing(kind="category mapping", kinds="Category mappings", value="Schuhe", connection="PIM")
    with translation.override("en"):
        sync_error = record_sync_error(connection, "pull", error, entity="categories", external_id="Schuhe")

    with translation.override("de"):
        german = sync_error.localized_message()
    with translation.override("en"):
        english = sync_error.localized_message()

    assert english == sync_error.message
    assert english.startswith('No category mapping for the value "Schuhe" in PIM.')
    assert german != english
    assert '"Schuhe"' in german
    assert german == sync_error.message_translations["de"]
