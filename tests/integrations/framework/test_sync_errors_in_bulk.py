"""record_sync_errors writes many record failures at once with the rule of record_sync_error.

An Akeneo import of a large catalog finds thousands of problems per run. Written one at a time,
they made the unchanged re-import of 100,000 products take 47 s instead of 27 s.
"""

import pytest

from integrations.models import SyncDirection, SyncError, SyncRunKind
from integrations.services.syncruns import (
    RecordFailure,
    record_sync_error,
    record_sync_errors,
    start_sync_run,
)
from tests.integrations.framework.conftest import make_connection

pytestmark = pytest.mark.django_db


class Problem:
    """A record's problem as an importer reports it: a code and the message support reads."""

    def __init__(self, code, message):
        self.code = code
        self.support_message = message


def failure(external_id, message="GTIN 123 is not valid", code="akeneo_invalid_gtin"):
    return RecordFailure(Problem(code, message), "products", external_id, {"line": 7})


def test_bulk_errors_created_or_counted_again():
    connection = make_connection()
    first_run = start_sync_run(connection, SyncRunKind.PULL, "products")
    record_sync_errors(connection, SyncDirection.INBOUND, [failure("SKU-1"), failure("SKU-2")], sync_run=first_run)
    second_run = start_sync_run(connection, SyncRunKind.PULL, "products")

    created = record_sync_errors(
        connection, SyncDirection.INBOUND, [failure("SKU-2", "GTIN 456 is not valid"), failure("SKU-3")], sync_run=second_run,
    )

    rows = {row.external_id: row for row in SyncError.objects.filter(connection=connection)}
    assert created == 1
    assert sorted(rows) == ["SKU-1", "SKU-2", "SKU-3"]
    assert (rows["SKU-1"].attempts, rows["SKU-1"].sync_run_id) == (1, first_run.pk)
    assert (rows["SKU-2"].attempts, rows["SKU-2"].sync_run_id, rows["SKU-2"].message) == (2, second_run.pk, "GTIN 456 is not valid")
    assert rows["SKU-2"].message_translations == {"en": "GTIN 456 is not valid", "de": "GTIN 456 is not valid"}
    assert rows["SKU-2"].payload == {"line": 7}
    assert rows["SKU-2"].updated_at > rows["SKU-2"].created_at
    assert (rows["SKU-3"].attempts, rows["SKU-3"].code, rows["SKU-3"].payload) == (1, "akeneo_invalid_gtin", {"line": 7})
    assert rows["SKU-3"].message_translations["de"] == "GTIN 123 is not valid"


def test_bulk_errors_new_cause_new_row():
    connection = make_connection()
    record_sync_errors(connection, SyncDirection.INBOUND, [failure("SKU-1")])
    SyncError.objects.filter(connection=connection).update(resolved=True)

    record_sync_errors(connection, SyncDirection.INBOUND, [failure("SKU-1"), failure("SKU-1", code="akeneo_missing_name")])

    open_rows = SyncError.objects.filter(connection=connection, resolved=False)
    assert sorted(open_rows.values_list("code", "attempts")) == [("akeneo_invalid_gtin", 1), ("akeneo_missing_name", 1)]
    assert SyncError.objects.filter(connection=connection, resolved=True).count() == 1


def test_bulk_errors_find_single_error():
    connection = make_connection()
    single = record_sync_error(
        connection, SyncDirection.INBOUND, failure("SKU-1").error, entity="products", external_id="SKU-1", attempts=3,
    )

    record_sync_errors(connection, SyncDirection.INBOUND, [RecordFailure(failure("SKU-1").error, "products", "SKU-1")])

    single.refresh_from_db()
    assert single.payload is None
    assert SyncError.objects.filter(connection=connection).count() == 1
    assert single.attempts == 4
