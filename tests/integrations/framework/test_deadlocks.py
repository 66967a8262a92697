import psycopg
import pytest
from django.db import OperationalError

from catalog.models import Warehouse
from integrations.services.deadlocks import DatabaseContention, run_retrying_deadlocks

pytestmark = pytest.mark.django_db


def database_error(sqlstate_error):
    error = OperationalError("deadlock detected")
    error.__cause__ = sqlstate_error("deadlock detected")
    return error


def test_deadlock_runs_work_again_without_its_writes():
    calls = []

    def work():
        calls.append(len(calls))
        Warehouse.objects.create(code=f"W{len(calls)}", name="W")
        if len(calls) == 1:
            raise database_error(psycopg.errors.DeadlockDetected)
        return "done"

    assert run_retrying_deadlocks(work) == "done"
    assert calls == [0, 1]
    # The first run's write was rolled back with its savepoint.
    assert list(Warehouse.objects.values_list("code", flat=True)) == ["W2"]


def test_other_database_error_is_raised_at_once():
    calls = []

    def work():
        calls.append(1)
        raise database_error(psycopg.errors.UndefinedTable)

    with pytest.raises(OperationalError):
        run_retrying_deadlocks(work)
    assert calls == [1]


def test_contention_raised_after_last_attempt():
    calls = []

    def work():
        calls.append(1)
        raise database_error(psycopg.errors.SerializationFailure)

    with pytest.raises(DatabaseContention) as raised:
        run_retrying_deadlocks(work, attempts=3)

    assert len(calls) == 3
    # A retryable connector error, so the inbox and the outbox schedule another attempt.
    assert raised.value.retryable is True
    assert isinstance(raised.value.__cause__, OperationalError)
    assert "40001" in str(raised.value)
