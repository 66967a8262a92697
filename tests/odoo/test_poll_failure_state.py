"""A poll loop's failure state outlives the loop: successors and restarted loops continue an
outage without reporting it again, and report the recovery once Odoo responds.

Odoo is the sandbox behind `responses`, switched to 100 % server errors for the outage.
"""

import pytest
from django.core.cache import cache

from integrations.domains import Domain
from integrations.models import SyncDirection, SyncError, SyncRun, SyncRunKind, SyncRunState
from integrations.odoo import tasks
from integrations.sandbox import faults
from integrations.services.clients import circuit_breaker_for
from monitoring.services.health import FAILING, HEALTHY, connection_tiles
from tests.odoo.conftest import make_odoo_connection

pytestmark = pytest.mark.django_db

LOOP_SECONDS = 0.3


@pytest.fixture
def no_sleep(monkeypatch):
    """Poll on every turn of the loop and never sleep, so a short loop polls many times."""
    monkeypatch.setattr(tasks.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(tasks, "ORDERS_INTERVAL_SECONDS", 0.0)
    monkeypatch.setattr(tasks, "STOCK_INTERVAL_SECONDS", 0.0)


@pytest.fixture
def queued_loops(monkeypatch):
    """Keep the loops that poll_loop and ensure_pollers queue, as (connection id, kind)."""
    queued = []

    def async_task(func, connection_id, seconds, kind, cluster):
        assert (func, seconds, cluster) == (tasks.POLL_TASK, None, tasks.POLL_LANE)
        queued.append((connection_id, kind))

    monkeypatch.setattr(tasks, "async_task", async_task)
    return queued


def run_queued_loop(queued_loops):
    """Run the loop queued last, as the poll lane would, but for LOOP_SECONDS only."""
    connection_id, kind = queued_loops[-1]
    return tasks.poll_loop(connection_id, seconds=LOOP_SECONDS, kind=kind)


def start_outage():
    faults.update_faults("odoo", {"server_error_percent": 100, "server_error_status": 502})


def end_outage(connection):
    faults.reset_faults("odoo")
    # Stands in for the breaker's own probe 60 s after it opened, so the next poll reaches Odoo.
    circuit_breaker_for(connection).reset()


def pull_runs(connection):
    return list(SyncRun.objects.filter(connection=connection, kind=SyncRunKind.PULL).order_by("pk").values_list("state", flat=True))


def tile_state(connection):
    return next(tile.state for tile in connection_tiles() if tile.connection.pk == connection.pk)


def test_handover_in_outage_records_one_failure(sandbox, no_sleep, queued_loops):
    connection = make_odoo_connection()
    start_outage()

    first = tasks.poll_loop(connection.pk, seconds=LOOP_SECONDS, kind=tasks.ORDERS_LOOP)
    # The successor's polls reach Odoo and fail there, not only at the open circuit breaker.
    circuit_breaker_for(connection).reset()
    requests_before_successor = len(sandbox.calls)
    second = run_queued_loop(queued_loops)

    assert (first, second) == ("continued", "continued")
    assert queued_loops == [(connection.pk, tasks.ORDERS_LOOP)] * 2
    assert len(sandbox.calls) > requests_before_successor
    assert pull_runs(connection) == [SyncRunState.FAILED]
    [error] = SyncError.objects.filter(connection=connection)
    assert (error.direction, error.entity, error.resolved) == (SyncDirection.INBOUND, Domain.ORDERS, False)
    assert tile_state(connection) == FAILING


def test_recovery_after_handover_resolves_errors(sandbox, no_sleep, queued_loops):
    connection = make_odoo_connection()
    start_outage()
    tasks.poll_loop(connection.pk, seconds=LOOP_SECONDS, kind=tasks.ORDERS_LOOP)
    end_outage(connection)

    run_queued_loop(queued_loops)
    after_recovery = pull_runs(connection)
    run_queued_loop(queued_loops)

    assert after_recovery == [SyncRunState.FAILED, SyncRunState.SUCCEEDED]
    # The next loop reads as well, and records no second recovery.
    assert pull_runs(connection) == [SyncRunState.FAILED, SyncRunState.SUCCEEDED]
    error = SyncError.objects.get(connection=connection)
    assert error.resolved is True
    assert error.resolved_at is not None
    assert tile_state(connection) == HEALTHY


@pytest.mark.parametrize(("kind", "entity"), [(tasks.STOCK_LOOP, Domain.STOCK), (tasks.ORDERS_LOOP, Domain.ORDERS)])
def test_restarted_loop_recovers(sandbox, no_sleep, queued_loops, kind, entity):
    connection = make_odoo_connection()
    start_outage()
    tasks.poll_loop(connection.pk, seconds=LOOP_SECONDS, kind=kind)
    [failed_error] = SyncError.objects.filter(connection=connection)
    end_outage(connection)
    # The worker died instead of running its successor, and the lock handed to the successor
    # ran out, so ensure_pollers starts new loops, which have no memory of the outage.
    queued_loops.clear()
    cache.delete(tasks._lock_key(connection.pk, kind))

    started = tasks.ensure_pollers()
    outcome = run_queued_loop([loop for loop in queued_loops if loop[1] == kind])

    assert started == 2
    assert outcome == "continued"
    assert failed_error.entity == entity
    assert pull_runs(connection) == [SyncRunState.FAILED, SyncRunState.SUCCEEDED]
    assert SyncRun.objects.filter(connection=connection).order_by("pk").last().entity == entity
    failed_error.refresh_from_db()
    assert failed_error.resolved is True


def test_healthy_loop_records_no_run(sandbox, no_sleep, queued_loops):
    connection = make_odoo_connection()
    item_error = SyncError.objects.create(
        connection=connection, direction=SyncDirection.INBOUND, entity=Domain.ORDERS, external_id="S00042", code="status_rejected", message="x",
    )

    outcome = tasks.poll_loop(connection.pk, seconds=LOOP_SECONDS, kind=tasks.ORDERS_LOOP)

    assert outcome == "continued"
    # An open item error does not make a new loop failing, so nothing is recovered.
    assert pull_runs(connection) == []
    item_error.refresh_from_db()
    assert item_error.resolved is False


def test_other_entity_error_leaves_loop_healthy(sandbox, no_sleep, queued_loops):
    connection = make_odoo_connection()
    start_outage()
    tasks.poll_loop(connection.pk, seconds=LOOP_SECONDS, kind=tasks.STOCK_LOOP)
    end_outage(connection)

    tasks.poll_loop(connection.pk, seconds=LOOP_SECONDS, kind=tasks.ORDERS_LOOP)

    # The stock loop's open error is not the orders loop's, so the orders loop reports nothing.
    assert list(SyncRun.objects.filter(connection=connection).values_list("entity", "state")) == [(Domain.STOCK, SyncRunState.FAILED)]
    assert SyncError.objects.get(connection=connection).resolved is False
