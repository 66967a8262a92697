"""Hot-lane polling of Odoo: stock every half second, orders and documents every second.

Odoo has no signed push, and a stock change must reach the shops within about two seconds, so
one poll loop per Odoo connection runs as a hot-lane task. It holds a lock in the cache, polls
until shortly before the lane's task timeout, then queues its successor. `ensure_pollers`,
scheduled every minute, starts a loop whose worker died. The framework's scheduled delta pull
(with its longer overlap) still runs as the safety net for anything a fast poll missed.

Fast polls write no sync run, because that would be two rows a second. A failing poll is
logged once when it starts failing and once when it recovers, and it backs off meanwhile.
"""

import logging
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django_q.tasks import async_task

from integrations.domains import Domain
from integrations.errors import ConnectorError
from integrations.models import Connection, InboundSource
from integrations.odoo.forward import forward_new_orders
from integrations.services.cursors import advance_cursor, start_cursor
from integrations.services.inbox import store_inbound_items

logger = logging.getLogger(__name__)

POLL_TASK = "integrations.odoo.tasks.poll_loop"

# Re-read window of a fast poll. Odoo's write_date has second resolution and is set before its
# transaction commits; two seconds cover that for an Odoo that responds within a second.
POLL_OVERLAP = timedelta(seconds=2)
STOCK_INTERVAL_SECONDS = 0.5
ORDERS_INTERVAL_SECONDS = 1.0
# Wait between polls while Odoo fails, doubling up to this cap.
MAX_BACKOFF_SECONDS = 30.0
# A poll reads at most this many pages, so one loop iteration stays short under a backlog.
MAX_PAGES_PER_POLL = 20
LOCK_SECONDS = 30


def _lock_key(connection_id):
    return f"kontor:odoo:poller:{connection_id}"


def poll_entity(connection, entity, *, overlap=POLL_OVERLAP):
    """Read the changes of one entity since its cursor into the inbox; return the new event count."""
    connector = connection.connector
    cursor = start_cursor(connection, entity, overlap)
    stored = 0
    for _page_number in range(MAX_PAGES_PER_POLL):
        page = connector.pull(connection, entity, cursor)
        with transaction.atomic():
            stored += len(store_inbound_items(connection, page.items, source=InboundSource.PULL))
            advance_cursor(connection, entity, page.items)
        if page.cursor is None or not page.items:
            break
        cursor = page.cursor
    return stored


def poll_once(connection_id, entities=(Domain.STOCK, Domain.ORDERS)):
    """Hand new shop orders to Odoo, then poll the given entities once; return the counts."""
    connection = Connection.objects.filter(pk=connection_id, enabled=True, kind="odoo").first()
    if connection is None:
        return {}
    counts = {"forwarded": forward_new_orders(connection)}
    counts.update({entity: poll_entity(connection, entity) for entity in entities})
    return counts


def poll_loop(connection_id, seconds=None):
    """Poll one connection until shortly before the hot lane's timeout, then queue the next loop.

    Returns "busy" when another loop holds the connection's lock.
    """
    token = uuid.uuid4().hex
    key = _lock_key(connection_id)
    if not cache.add(key, token, timeout=LOCK_SECONDS):
        return "busy"

    if seconds is None:
        seconds = max(settings.LANES["hot"]["timeout"] - 15, 5)
    deadline = time.monotonic() + seconds
    next_orders = 0.0
    backoff = 0.0
    failing = False
    logger.info("odoo poll loop started", extra={"connection_id": connection_id})
    try:
        while time.monotonic() < deadline:
            if not Connection.objects.filter(pk=connection_id, enabled=True).exists():
                return "disabled"
            cache.touch(key, LOCK_SECONDS)

            entities = [Domain.STOCK]
            if time.monotonic() >= next_orders:
                entities.append(Domain.ORDERS)
                next_orders = time.monotonic() + ORDERS_INTERVAL_SECONDS
            try:
                poll_once(connection_id, entities)
            except ConnectorError as error:
                backoff = min(max(backoff * 2, 1.0), MAX_BACKOFF_SECONDS)
                if not failing:
                    logger.warning("odoo poll failed, backing off", extra={"connection_id": connection_id, "code": error.code})
                failing = True
                time.sleep(min(backoff, max(deadline - time.monotonic(), 0)))
                continue
            if failing:
                logger.info("odoo poll recovered", extra={"connection_id": connection_id})
            failing = False
            backoff = 0.0
            time.sleep(STOCK_INTERVAL_SECONDS)
    finally:
        if cache.get(key) == token:
            cache.delete(key)

    async_task(POLL_TASK, connection_id, cluster="hot")
    logger.info("odoo poll loop handed over", extra={"connection_id": connection_id})
    return "continued"


def ensure_pollers():
    """Start a poll loop for each enabled Odoo connection that has none; return how many started."""
    started = 0
    for connection_id in Connection.objects.filter(kind="odoo", enabled=True).values_list("pk", flat=True):
        if cache.get(_lock_key(connection_id)) is None:
            async_task(POLL_TASK, connection_id, cluster="hot")
            started += 1
    return started


def schedule_pollers():
    """Store the every-minute schedule of ensure_pollers once; safe to call on every start."""
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name="odoo pollers",
        defaults={
            "func": "integrations.odoo.tasks.ensure_pollers",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
            "cluster": "hot",
        },
    )
