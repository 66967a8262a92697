"""A poll loop that cannot read Odoo shows it to support: a failed sync run and an open sync error."""

import pytest

from integrations.domains import Domain
from integrations.errors import ConnectorError
from integrations.models import SyncDirection, SyncError, SyncRun, SyncRunKind, SyncRunState
from integrations.odoo import tasks
from monitoring.services.health import FAILING, HEALTHY, connection_tiles
from tests.odoo.conftest import make_odoo_connection

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_sleep(monkeypatch):
    """Poll on every turn of the loop and never sleep, so a short loop meets many failures."""
    monkeypatch.setattr(tasks.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(tasks, "ORDERS_INTERVAL_SECONDS", 0.0)


def failing_polls(monkeypatch, failures):
    """Make poll_once raise for its first `failures` calls, then read nothing; return the call log."""
    calls = []

    def poll_once(connection_id, domains, push):
        calls.append(domains)
        if len(calls) <= failures:
            raise ConnectorError("connection refused", connection="Odoo sandbox")
        return {}

    monkeypatch.setattr(tasks, "poll_once", poll_once)
    return calls


def tile_state(connection):
    return next(tile.state for tile in connection_tiles() if tile.connection.pk == connection.pk)


def test_failing_loop_records_one_run_and_error(monkeypatch, no_sleep):
    connection = make_odoo_connection()
    calls = failing_polls(monkeypatch, failures=10**6)

    tasks.poll_loop(connection.pk, seconds=0.3, kind=tasks.ORDERS_LOOP)

    assert len(calls) > 1
    [run] = SyncRun.objects.filter(connection=connection)
    assert (run.kind, run.entity, run.state) == (SyncRunKind.PULL, Domain.ORDERS, SyncRunState.FAILED)
    assert run.message.startswith("The request to Odoo sandbox failed. Check the connection settings")
    [error] = SyncError.objects.filter(connection=connection)
    assert (error.direction, error.entity, error.code, error.resolved, error.sync_run_id) == (
        SyncDirection.INBOUND, Domain.ORDERS, "connector_error", False, run.pk,
    )
    assert error.message_translations["de"].startswith("Die Anfrage an Odoo sandbox ist fehlgeschlagen")
    assert tile_state(connection) == FAILING


def test_recovered_loop_resolves_its_error(monkeypatch, no_sleep):
    connection = make_odoo_connection()
    failing_polls(monkeypatch, failures=3)

    tasks.poll_loop(connection.pk, seconds=0.3, kind=tasks.ORDERS_LOOP)

    runs = list(SyncRun.objects.filter(connection=connection).order_by("pk").values_list("state", flat=True))
    assert runs == [SyncRunState.FAILED, SyncRunState.SUCCEEDED]
    error = SyncError.objects.get(connection=connection)
    assert error.resolved is True
    assert error.resolved_at is not None
    assert tile_state(connection) == HEALTHY


def test_item_errors_stay_open_on_recovery(monkeypatch, no_sleep):
    connection = make_odoo_connection()
    item_error = SyncError.objects.create(
        connection=connection, direction=SyncDirection.INBOUND, entity=Domain.ORDERS, external_id="S00042", code="status_rejected", message="x",
    )
    failing_polls(monkeypatch, failures=1)

    tasks.poll_loop(connection.pk, seconds=0.3, kind=tasks.ORDERS_LOOP)

    item_error.refresh_from_db()
    assert item_error.resolved is False
    assert SyncError.objects.filter(connection=connection, code="connector_error", resolved=True).count() == 1
