"""Polling of Odoo: stock every half second, orders and documents every second.

Odoo has no signed push, and a stock change must reach the shops within about two seconds, so
two poll loops per Odoo connection run as tasks of the poll lane, which runs nothing else:

- The stock loop reads changed quants and applies them to the ledger at once (not through the
  lane's queue). Its sender thread (StockSender) sends every due stock and price message to
  the channels, one batch per connection, ten times a second, beside the reads. Stock
  therefore does not wait behind orders in the queue or in a batch, and a slow read or send
  does not hold up the other.
- The orders loop hands new shop orders to Odoo and reads sale orders and their documents.

Each loop holds a lock in the cache, polls until shortly before the lane's task timeout, then
queues its successor and hands it the lock. `ensure_pollers`, scheduled every minute, starts a
loop whose lock is missing, as after its worker died. When the lane's cluster begins to stop, a
loop returns after its current step, releases its lock and queues no successor, so
ensure_pollers starts it again once the lane runs again.
A step that waits for Odoo then is cut short (integrations.odoo.stopping), so a hanging Odoo
does not hold up the stop for the client's read timeout.
The framework's scheduled delta pull (with its longer overlap) still runs as the safety net
for anything a fast poll missed, and the lane's batch tasks still deliver stock messages when
no stock loop runs.

Fast polls write no sync run, because that would be two rows a second. A failing poll is
logged once when it starts failing and once when it recovers, and it backs off meanwhile. The
open sync error of a failing loop is its failure state, so a successor or a restarted loop
continues an outage instead of reporting it again, and reports the recovery.
"""

import logging
import threading
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection as db_connection
from django.db import transaction
from django_q.tasks import async_task

from core.taskqueue import cluster_is_stopping, sleep_unless_cluster_stops
from integrations.domains import Domain
from integrations.errors import ConnectorError
from integrations.models import (
    Connection,
    ConnectionEntity,
    Direction,
    InboundEvent,
    InboundSource,
    InboundState,
    SyncDirection,
    SyncError,
    SyncRunKind,
)
from integrations.odoo.forward import forward_new_orders
from integrations.odoo.stock_pages import apply_stock_events
from integrations.odoo.stopping import CallOverran, CallStopped, calls_end_by
from integrations.services import batches, inbox
from integrations.services.cursors import advance_cursor, start_cursor
from integrations.services.inbox import store_inbound_items
from integrations.services.lanes import lane_for
from integrations.services.queue import enqueue_on_commit
from integrations.services.syncruns import (
    finish_sync_run,
    record_sync_error,
    resolve_sync_errors,
    start_sync_run,
)

logger = logging.getLogger(__name__)

POLL_TASK = "integrations.odoo.tasks.poll_loop"
# The django-q2 schedule that runs ensure_pollers every minute.
POLLERS_SCHEDULE = "odoo pollers"
# The loops run on their own lane: a successor queued on the hot lane waited behind every order.
POLL_LANE = "poll"

# Re-read window of a fast poll. Odoo's write_date has second resolution and is set before its
# transaction commits; two seconds cover that for an Odoo that responds within a second.
POLL_OVERLAP = timedelta(seconds=2)
STOCK_INTERVAL_SECONDS = 0.5
ORDERS_INTERVAL_SECONDS = 1.0
# How long a new order message waits while the orders loop runs, so the loop sends it with the
# others. It is one loop step, so an order waits about two steps at most.
ORDER_BATCH_WINDOW_SECONDS = ORDERS_INTERVAL_SECONDS
# How often the stock loop sends due stock and price messages: a reservation's new figure
# waits at most this long before it goes to the shops.
PUSH_INTERVAL_SECONDS = 0.1
PUSHED_DOMAINS = (Domain.STOCK, Domain.PRICES)
# How long one announcement of the stock sender lasts. It is renewed before every send, so it
# must outlast a slow Sync API request under load (seconds). A lapse lets the next stock
# message queue a hot-lane batch task, which claims stock together with Odoo orders and keeps
# the stock figures in flight until the orders are sent.
SENDING_ANNOUNCEMENT_SECONDS = 10
# Wait of the stock sender after a failed send, and how long a stopping loop waits for a send
# in progress (below the poll lane's task timeout minus the loop's 15 s margin).
SENDER_BACKOFF_SECONDS = 1.0
SENDER_STOP_SECONDS = 10.0
# How long an Odoo call may still wait after the loop's deadline before it is cut short. The
# loop ends 15 s before the lane's timeout, and stopping the sender may take SENDER_STOP_SECONDS.
CALL_GRACE_SECONDS = 3.0
STOCK_LOOP, ORDERS_LOOP = "stock", "orders"
# Wait between polls while Odoo fails, doubling up to this cap. The connection's circuit breaker
# already keeps requests away from an Odoo that is down, so a failing poll costs no request, and
# a short cap lets stock flow again within seconds once the breaker's probe succeeds.
MAX_BACKOFF_SECONDS = 5.0
# A poll reads at most this many pages, so one loop iteration stays short under a backlog.
MAX_PAGES_PER_POLL = 20
LOCK_SECONDS = 30
# The lock's value from a hand-over until the successor starts. It lasts LOCK_SECONDS, so a
# successor that never runs leaves ensure_pollers to start the loop again.
HANDED_OVER = "handed-over"
# Pending stock events of earlier steps that one step applies again, oldest first. Under order
# load a step leaves at most one pending event per level and read, so this is several steps' worth.
MAX_LEFT_OVER_EVENTS = 1000


def _lock_key(connection_id, kind):
    return f"kontor:odoo:poller:{kind}:{connection_id}"


def orders_loop_running(connection_id):
    """Return whether the connection's orders loop holds its lock, so it runs somewhere."""
    return cache.get(_lock_key(connection_id, ORDERS_LOOP)) is not None


def poll_entity(connection, entity, *, overlap=POLL_OVERLAP, queue=True):
    """Read the changes of one entity since its cursor into the inbox; return the new event ids.

    `queue=False` stores the events without queueing a task for each, for a caller that
    processes them at once.
    """
    connector = connection.connector
    cursor = start_cursor(connection, entity, overlap)
    stored = []
    for _page_number in range(MAX_PAGES_PER_POLL):
        page = connector.pull(connection, entity, cursor)
        with transaction.atomic():
            stored += store_inbound_items(connection, page.items, source=InboundSource.PULL, queue=queue)
            advance_cursor(connection, entity, page.items)
        if page.cursor is None or not page.items:
            break
        cursor = page.cursor
    return stored


def poll_stock(connection):
    """Read Odoo's changed stock and apply it now; return the number of new events.

    The events are not queued as tasks, because they are applied here. Pending events of
    earlier steps are applied again with the new ones: apply_stock_events leaves an event that
    changes nothing pending while another transaction locks its stock level. An event that
    stays pending longer is queued by the framework's sweep a minute after it was received.
    """
    event_ids = poll_entity(connection, Domain.STOCK, queue=False)
    left_over = list(
        InboundEvent.objects.filter(
            connection=connection, entity=Domain.STOCK, state=InboundState.PENDING, next_attempt_at__isnull=True
        )
        .exclude(pk__in=event_ids)
        .order_by("pk")
        .values_list("pk", flat=True)[:MAX_LEFT_OVER_EVENTS]
    )
    if event_ids or left_over:
        apply_stock_events(connection, [*left_over, *event_ids])
    return len(event_ids)


def poll_orders(connection):
    """Read changed sale orders and documents; apply the sale order states now and queue the documents.

    A state change is a few quick queries, so applying it here saves a lane task per sale order
    version. A document downloads its PDF from Odoo, which would hold up the loop, so it keeps its
    task. An event that stays pending (this process died before processing it) is queued by the
    framework's sweep a minute later. Returns the number of new events.
    """
    event_ids = poll_entity(connection, Domain.ORDERS, queue=False)
    events = InboundEvent.objects.filter(pk__in=event_ids).order_by("pk").values_list("pk", "event_type")
    lane = lane_for(connection, Domain.ORDERS)
    for event_id, event_type in events:
        if event_type == "sale.order":
            inbox.process_inbound_event(event_id)
        else:
            enqueue_on_commit(inbox.PROCESS_TASK, event_id, lane=lane)
    return len(event_ids)


def send_order_messages(connection):
    """Send the due order messages of the connection's lane in batches; return the counts.

    New order messages wait for the connector's batch window, so this step sends many at once.
    """
    entity = ConnectionEntity.objects.filter(connection=connection, entity=Domain.ORDERS).first()
    if entity is None:
        return {}
    return batches.deliver_due_messages(entity.effective_lane, entities=(Domain.ORDERS,), requeue=False)


def push_stock_messages():
    """Send every due stock and price message to the channels, batched per connection; return counts."""
    lanes = {
        entity.effective_lane
        for entity in ConnectionEntity.objects.filter(
            entity__in=PUSHED_DOMAINS, enabled=True, connection__enabled=True, direction__in=[Direction.OUT, Direction.BOTH]
        )
    }
    counts = {}
    for lane in sorted(lanes):
        counts.update(batches.deliver_due_messages(lane, entities=PUSHED_DOMAINS, requeue=False))
    return counts


def poll_once(connection_id, entities=(Domain.STOCK, Domain.ORDERS), *, push=True):
    """Hand new shop orders to Odoo, poll the given entities once and send due stock; return counts.

    `push=False` leaves the due stock and price messages to a running StockSender.
    """
    connection = Connection.objects.filter(pk=connection_id, enabled=True, kind="odoo").first()
    if connection is None:
        return {}
    counts = {}
    if Domain.ORDERS in entities:
        counts["forwarded"] = forward_new_orders(connection)
        counts["sent"] = send_order_messages(connection)
        counts[Domain.ORDERS] = poll_orders(connection)
    if Domain.STOCK in entities:
        counts[Domain.STOCK] = poll_stock(connection)
        if push:
            counts["pushed"] = push_stock_messages()
    return counts


class StockSender(threading.Thread):
    """Thread of the stock loop that sends the due stock and price messages every `interval` seconds.

    It runs beside the loop's Odoo reads. A figure already in the ledger therefore does not wait
    for a slow read or for the stock level locks of the next page, and a slow Sync API request
    does not delay the next read. While it sends, new stock and price messages queue no lane
    task. The thread has its own database connection and closes it when it stops.
    """

    def __init__(self, connection_id, interval=PUSH_INTERVAL_SECONDS):
        super().__init__(name=f"odoo-stock-sender-{connection_id}", daemon=True)
        self.connection_id = connection_id
        self.interval = interval
        self.stopped = threading.Event()
        self._woken = threading.Event()

    def run(self):
        failing = False
        try:
            # A stopping cluster ends the thread before the loop that started it notices the stop.
            while not self.stopped.is_set() and not cluster_is_stopping():
                wait = self.interval
                try:
                    if not failing:
                        # A sender that stops or fails stops announcing, and within
                        # SENDING_ANNOUNCEMENT_SECONDS new messages queue their lane task again.
                        batches.announce_sending_loop(PUSHED_DOMAINS, SENDING_ANNOUNCEMENT_SECONDS)
                    push_stock_messages()
                except Exception:
                    # Any failure must back off and try again: until the loop hands over, no
                    # other worker sends stock while this thread announces that it does.
                    if not failing:
                        logger.exception("odoo stock push failed, backing off", extra={"connection_id": self.connection_id})
                    failing = True
                    wait = SENDER_BACKOFF_SECONDS
                    # A broken database connection is opened again by the next query.
                    db_connection.close()
                else:
                    if failing:
                        logger.info("odoo stock push recovered", extra={"connection_id": self.connection_id})
                    failing = False
                if failing:
                    # A wake does not cut the back-off short.
                    self.stopped.wait(wait)
                else:
                    self._woken.wait(wait)
                self._woken.clear()
        finally:
            db_connection.close()

    def wake(self):
        """Start the next send now instead of after the interval, as after a page was applied."""
        self._woken.set()

    def stop(self, timeout=None):
        """Ask the thread to stop after its current send and wait up to `timeout` seconds for it."""
        self.stopped.set()
        self._woken.set()
        self.join(timeout)


def _loop_entity(kind):
    return Domain.STOCK if kind == STOCK_LOOP else Domain.ORDERS


def _report_poll_failure(connection_id, kind, error):
    """Show support that a loop stopped reading Odoo: a failed sync run and an open sync error.

    Only the first failure of a streak is recorded, so a loop that backs off for an hour leaves
    one run and one error, not thousands. Without them the connection's tile stayed healthy
    while nothing was read, because the loop records no run while it works.
    """
    try:
        connection = Connection.objects.get(pk=connection_id)
        entity = _loop_entity(kind)
        run = finish_sync_run(start_sync_run(connection, SyncRunKind.PULL, entity), failed_with=error)
        record_sync_error(connection, SyncDirection.INBOUND, error, entity=entity, sync_run=run)
    except Exception:
        # The database may be what fails; the loop's own log line already names the error.
        logger.exception("odoo poll failure not recorded", extra={"connection_id": connection_id, "kind": kind})


def _loop_errors(connection_id, kind):
    """Return the sync errors of a loop's connection and entity that name no item.

    Besides the loop's own errors, they include those of the scheduled delta pull of the same
    entity, which reads Odoo the same way. A failed item's error has an event, a message or an id.
    """
    return SyncError.objects.filter(
        connection_id=connection_id, direction=SyncDirection.INBOUND, entity=_loop_entity(kind),
        inbound_event__isnull=True, outbound_message__isnull=True, object_id="", external_id="",
    )


def _loop_is_failing(connection_id, kind):
    """Return whether a loop starts failing: its connection and entity have an open loop error.

    The database stores this state, not the loop: a successor after a hand-over, or a loop that
    ensure_pollers started after a worker died, then records no second failure during an
    outage and reports the recovery once it reads again.
    """
    return _loop_errors(connection_id, kind).filter(resolved=False).exists()


def _report_poll_recovery(connection_id, kind):
    """Record that a failing loop reads Odoo again: a succeeded sync run, and its errors resolved."""
    try:
        connection = Connection.objects.get(pk=connection_id)
        finish_sync_run(start_sync_run(connection, SyncRunKind.PULL, _loop_entity(kind)))
        resolved = resolve_sync_errors(_loop_errors(connection_id, kind))
        logger.info("odoo poll errors resolved", extra={"connection_id": connection_id, "kind": kind, "resolved": resolved})
    except Exception:
        logger.exception("odoo poll recovery not recorded", extra={"connection_id": connection_id, "kind": kind})


def _take_lock(key):
    """Take a loop's lock and return the holder's token, or None when another loop holds it.

    A lock that a predecessor handed over is taken over by the first loop that starts, normally
    its successor. The new holder stores a token of its own, so a second delivery of the same
    successor task finds the lock taken.
    """
    token = uuid.uuid4().hex
    # NOTE: reading and replacing a handed-over lock is not atomic, so two loops of the same kind
    # starting at the same instant could both take it. Only ensure_pollers queues a loop beside
    # the successor, and only when the lock has run out.
    if cache.get(key) == HANDED_OVER:
        cache.set(key, token, timeout=LOCK_SECONDS)
        # The database cache ignores a failed write, so the lock is read back.
        return token if cache.get(key) == token else None
    if cache.add(key, token, timeout=LOCK_SECONDS):
        return token
    return None


def _hand_over(connection_id, kind, key, token):
    """Queue the loop's successor and keep the lock held for it. Returns whether it was queued.

    ensure_pollers waits in the lane's queue behind the two loops, so it runs right at a
    hand-over. A lock released before the successor started made it queue a second loop at
    each hand-over. While the lock is held, ensure_pollers queues no loop.
    """
    if cache.get(key) != token:
        # The lock ran out or another loop took it. That loop polls on, or without one,
        # ensure_pollers starts a loop within a minute.
        logger.warning("odoo poll loop lost its lock, no successor queued", extra={"connection_id": connection_id, "kind": kind})
        return False
    cache.set(key, HANDED_OVER, timeout=LOCK_SECONDS)
    try:
        async_task(POLL_TASK, connection_id, None, kind, cluster=POLL_LANE)
    except Exception:
        # Without a successor the lock must go, so that ensure_pollers starts the loop again.
        cache.delete(key)
        raise
    return True


def poll_loop(connection_id, seconds=None, kind=ORDERS_LOOP):
    """Run one connection's stock or orders loop until shortly before the poll lane's timeout.

    Then the loop queues its successor and hands it the lock. Returns "busy" when another loop
    of the same kind has the connection's lock, "stopped" without a successor when the
    worker's cluster began to stop, and "lost" without a successor when the lock ran out while
    the loop ran.
    """
    key = _lock_key(connection_id, kind)
    token = _take_lock(key)
    if token is None:
        return "busy"

    if seconds is None:
        seconds = max(settings.LANES[POLL_LANE]["timeout"] - 15, 5)
    deadline = time.monotonic() + seconds
    interval = STOCK_INTERVAL_SECONDS if kind == STOCK_LOOP else ORDERS_INTERVAL_SECONDS
    next_poll = 0.0
    backoff = 0.0
    failing = False
    stopped = False
    handing_over = False
    sender = None
    try:
        failing = _loop_is_failing(connection_id, kind)
        logger.info("odoo poll loop started", extra={"connection_id": connection_id, "kind": kind, "failing": failing})
        while time.monotonic() < deadline:
            if cluster_is_stopping():
                stopped = True
                break
            if not Connection.objects.filter(pk=connection_id, enabled=True).exists():
                return "disabled"
            cache.touch(key, LOCK_SECONDS)
            if kind == STOCK_LOOP and (sender is None or not sender.is_alive()):
                # The sender sends the figures of this loop's pages and of reservations meanwhile.
                sender = StockSender(connection_id)
                sender.start()

            try:
                if time.monotonic() >= next_poll:
                    next_poll = time.monotonic() + interval
                    with calls_end_by(deadline + CALL_GRACE_SECONDS):
                        counts = poll_once(connection_id, [Domain.STOCK] if kind == STOCK_LOOP else [Domain.ORDERS], push=False)
                    if sender is not None and counts.get(Domain.STOCK):
                        # The page's figures are committed, so the sender sends them without
                        # waiting for its interval.
                        sender.wake()
            except CallOverran:
                # A slow Odoo kept the step past the loop's deadline. The successor polls again,
                # instead of django-q2 killing this task at the lane's timeout.
                logger.info("odoo poll step cut short at the loop's deadline", extra={"connection_id": connection_id, "kind": kind})
                break
            except CallStopped:
                # The cluster began to stop while the step waited for Odoo. That is no Odoo
                # failure, so nothing is recorded, and the loop stops as between two steps.
                stopped = True
                break
            except Exception as error:
                # Any failure (Odoo down, a deadlock) must back off, not end the loop: until
                # ensure_pollers restarts it a minute later, stock would wait in the lane's queue.
                backoff = min(max(backoff * 2, 1.0), MAX_BACKOFF_SECONDS)
                if not failing:
                    if isinstance(error, ConnectorError):
                        logger.warning("odoo poll failed, backing off", extra={"connection_id": connection_id, "code": error.code})
                    else:
                        logger.exception("odoo poll failed, backing off", extra={"connection_id": connection_id})
                    _report_poll_failure(connection_id, kind, error)
                failing = True
                sleep_unless_cluster_stops(min(backoff, max(deadline - time.monotonic(), 0)))
                continue
            if failing:
                logger.info("odoo poll recovered", extra={"connection_id": connection_id})
                _report_poll_recovery(connection_id, kind)
            failing = False
            backoff = 0.0
            sleep_unless_cluster_stops(max(next_poll - time.monotonic(), 0.01))
        handing_over = not stopped
    finally:
        if sender is not None:
            sender.stop(timeout=SENDER_STOP_SECONDS)
        # A loop that hands over keeps the lock for its successor, and any other end releases it.
        if not handing_over and cache.get(key) == token:
            cache.delete(key)

    if stopped:
        # The released lock lets ensure_pollers start the loop again once the lane runs again.
        logger.info("odoo poll loop stopped", extra={"connection_id": connection_id, "kind": kind})
        return "stopped"

    if not _hand_over(connection_id, kind, key, token):
        return "lost"
    logger.info("odoo poll loop handed over", extra={"connection_id": connection_id, "kind": kind})
    return "continued"


def ensure_pollers():
    """Start the stock and orders loops of each enabled Odoo connection that lacks them; return how many started."""
    started = 0
    for connection_id in Connection.objects.filter(kind="odoo", enabled=True).values_list("pk", flat=True):
        for kind in (STOCK_LOOP, ORDERS_LOOP):
            if cache.get(_lock_key(connection_id, kind)) is None:
                async_task(POLL_TASK, connection_id, None, kind, cluster=POLL_LANE)
                started += 1
    return started


def schedule_pollers():
    """Create or update the every-minute schedule of ensure_pollers; return it.

    Calling it again changes nothing, so every start, every saved Odoo connection and the
    `odoo_pollers --install-schedule` command may call it.
    """
    from django_q.models import Schedule

    schedule, created = Schedule.objects.update_or_create(
        name=POLLERS_SCHEDULE,
        defaults={
            "func": "integrations.odoo.tasks.ensure_pollers",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
            "cluster": POLL_LANE,
        },
    )
    if created:
        logger.info("odoo pollers schedule installed", extra={"schedule_id": schedule.pk})
    return schedule


def schedule_pollers_for_saved_connection(sender, instance, raw=False, **kwargs):
    """Install the pollers' schedule when an enabled Odoo connection is saved (post_save receiver).

    A connection created or enabled in the admin, the API or a shell then gets its loops within
    a minute, without a deployment step. Fixture loading (`raw`) installs nothing.
    """
    if raw or instance.kind != "odoo" or not instance.enabled:
        return
    schedule_pollers()
