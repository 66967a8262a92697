"""A poll loop hands its lock to its successor, so ensure_pollers queues no second loop.

ensure_pollers waits in the poll lane's queue behind the two loops, so it runs right at a
hand-over. A loop that released its lock before its successor started let it queue a second loop.
"""

import pytest
from django.core.cache import cache

from integrations.odoo import tasks
from tests.odoo.conftest import make_odoo_connection

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection(monkeypatch):
    """An Odoo connection whose loops read nothing and poll without waiting."""
    monkeypatch.setattr(tasks, "ORDERS_INTERVAL_SECONDS", 0.01)
    monkeypatch.setattr(tasks, "poll_once", lambda connection_id, domains, push: {})
    erp = make_odoo_connection()
    yield erp
    for kind in (tasks.STOCK_LOOP, tasks.ORDERS_LOOP):
        cache.delete(tasks._lock_key(erp.pk, kind))


@pytest.fixture
def queued(monkeypatch):
    """The poll loops queued, as (connection id, kind)."""
    loops = []

    def async_task(func, connection_id, seconds, kind, cluster):
        assert (func, seconds, cluster) == (tasks.POLL_TASK, None, tasks.POLL_LANE)
        loops.append((connection_id, kind))

    monkeypatch.setattr(tasks, "async_task", async_task)
    return loops


def orders_lock(connection):
    return cache.get(tasks._lock_key(connection.pk, tasks.ORDERS_LOOP))


def run_orders_loop(connection):
    return tasks.poll_loop(connection.pk, seconds=0.05, kind=tasks.ORDERS_LOOP)


def test_ensure_pollers_skips_handed_over_loop(connection, queued):
    # Given an orders loop that has run to its deadline and queued its successor
    assert run_orders_loop(connection) == "continued"

    # When ensure_pollers runs before the successor has started
    started = tasks.ensure_pollers()

    # Then it starts only the missing stock loop, and the orders lock waits for the successor
    assert started == 1
    assert queued == [(connection.pk, tasks.ORDERS_LOOP), (connection.pk, tasks.STOCK_LOOP)]
    assert orders_lock(connection) == tasks.HANDED_OVER


def test_successor_takes_handed_over_lock(connection, queued):
    run_orders_loop(connection)

    # The successor runs and hands over in turn
    assert run_orders_loop(connection) == "continued"
    assert queued == [(connection.pk, tasks.ORDERS_LOOP)] * 2


def test_second_loop_finds_lock_taken(connection, queued):
    # Given a successor that has taken the handed-over lock and still polls
    run_orders_loop(connection)
    token = tasks._take_lock(tasks._lock_key(connection.pk, tasks.ORDERS_LOOP))
    assert token is not None
    assert orders_lock(connection) == token

    # Then a second delivery of the same task, or a loop queued earlier, runs nothing
    assert run_orders_loop(connection) == "busy"
    assert orders_lock(connection) == token
    assert len(queued) == 1


def test_successor_takes_expired_lock(connection, queued):
    # The successor waited longer than the lock lasts, and no other loop took it meanwhile
    run_orders_loop(connection)
    cache.delete(tasks._lock_key(connection.pk, tasks.ORDERS_LOOP))

    assert run_orders_loop(connection) == "continued"
    assert len(queued) == 2


def test_failed_hand_over_releases_lock(connection, monkeypatch):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks, "async_task", broker_down)

    with pytest.raises(ConnectionError):
        run_orders_loop(connection)

    # ensure_pollers then starts the loop again a minute later
    assert orders_lock(connection) is None


@pytest.mark.parametrize("end", ["disabled", "stopped"])
def test_end_without_successor_releases_lock(connection, queued, monkeypatch, end):
    if end == "disabled":
        connection.enabled = False
        connection.save(update_fields=["enabled"])
    else:
        monkeypatch.setattr(tasks, "cluster_is_stopping", lambda: True)

    assert run_orders_loop(connection) == end

    assert queued == []
    assert orders_lock(connection) is None
