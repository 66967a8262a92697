"""Fault drill: the shop-to-ERP order flow under an ERP outage and killed workers, with real processes.

Runs the stack of bench/order_flow.py on loopback (gunicorn serving Kontor's webhooks and both
sandbox systems, one django-q2 cluster per lane) and checks the flow's promises:

1. Every order placed in the sandbox shop exists exactly once in the sandbox Odoo (by
   client_order_ref); an order cancelled in the shop is reported apart.
2. While Odoo is down (100 % server errors), orders queue and none fails for good; when Odoo
   returns, the backlog goes through. The drill reports the order in which the backlog reached
   Odoo against the shop's order numbers: the inversions overall and per product.
3. A worker killed with SIGKILL in the middle of a delivery loses no message and sends none
   twice: the hot lane's and the poll lane's workers are killed while the backlog drains, and
   one whole cluster is killed and started again.
4. After the system settles, every product's stock in the shop equals Kontor's available
   quantity for the channel and Odoo's free quantity, with no reservation left pending. While
   the drill runs, a monitor compares the shop's stock with what is really free (see
   StockMonitor) and counts every sample in which the shop showed more.

The database named in DATABASE_URL is dropped and created again, and the Redis db in REDIS_URL
is flushed, so point both at a database of your own:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kontor_drill \\
    REDIS_URL=redis://127.0.0.1:6379/9 SECRET_KEY=drill SANDBOX_ENABLED=true \\
        .venv/bin/python bench/fault_drill.py --outage 60

The default outage is 60 seconds so the drill ends within minutes. The real case is an ERP down
for an hour (--outage 3600), which the delivery retry policy (30 attempts within 6 hours) is
sized to ride out. Exits with status 1 when a promise is broken and 2 when the system did not
settle within --settle-timeout.
"""

import argparse
import bisect
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.order_flow import (  # noqa: E402 (the repository root must be on sys.path first)
    SKU_COUNT,
    Sweeper,
    place_orders,
    prepare,
    recreate_database,
    setup_django,
    shop_stock,
    start_processes,
    stop_processes,
    wait_for,
)

SKUS = [f"BENCH-{index:03d}" for index in range(SKU_COUNT)]
# Kontor writes an absolute stock figure to the shop. A figure computed before Kontor stored an
# order and written after the shop subtracted that order puts the order's units back until the
# next figure arrives. The monitor counts a surplus no larger than the units of the orders placed
# this many seconds before the sample, or not stored by Kontor yet, apart as that race.
RACE_WINDOW_SECONDS = 5
# Seconds of orders placed per call of order_flow.place_orders, so the placer notices a stop soon.
PLACING_CHUNK_SECONDS = 2


# Processes


def _proc_stat(pid):
    """Return (parent pid, start time in clock ticks) of a process, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name in brackets may contain spaces, so the fields are counted after it.
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), int(fields[19])


def cpu_ticks(pid):
    """Return the user and system CPU time of a process in clock ticks, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


def waits_on_pipe(pid):
    """Return whether a process's main thread is blocked reading a pipe.

    Idle django-q2 workers wait in task_queue.get(). The one holding the queue's reader lock
    reads the pipe, and the others wait for the lock.
    """
    try:
        return Path(f"/proc/{pid}/wchan").read_text().strip() in ("anon_pipe_read", "pipe_read")
    except OSError:
        return False


def children_of(pid):
    """Return the pids of a process's children, oldest first."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _proc_stat(int(entry.name))
        if stat is not None and stat[0] == pid:
            found.append((stat[1], int(entry.name)))
    return [child for _start, child in sorted(found)]


def descendants_of(pid):
    result = []
    for child in children_of(pid):
        result.append(child)
        result.extend(descendants_of(child))
    return result


def environment_of(pid):
    """Return the environment a process was started with, or {} when it is gone."""
    try:
        entries = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return {}
    return dict(entry.decode(errors="replace").split("=", 1) for entry in entries if b"=" in entry)


def belongs_to_drill(pid, database_url):
    """Return whether a process uses this drill's database, so only the drill's own processes are killed.

    The processes get DATABASE_URL with an application_name added (bench/order_flow.py), so the
    host, port and database name are compared, not the whole URL.
    """
    found = environment_of(pid).get("DATABASE_URL")
    if not found:
        return False
    expected, actual = urlparse(database_url), urlparse(found)
    return (actual.hostname, actual.port, actual.path) == (expected.hostname, expected.port, expected.path)


def kill_pid(pid, database_url):
    """Send SIGKILL to one process of the drill; return whether it was sent."""
    if not belongs_to_drill(pid, database_url):
        return False
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True


class Cluster:
    """One lane's django-q2 cluster: the qcluster process, its sentinel, and the sentinel's children.

    The sentinel spawns its workers first, then the monitor and the pusher, so the two youngest
    children at start are the auxiliary processes. Every other child is a worker, including a
    worker the sentinel starts again after a death.
    """

    def __init__(self, lane, process, worker_count):
        self.lane = lane
        self.process = process
        self.worker_count = worker_count
        self.auxiliary = set()
        self.sentinel = None

    def discover(self, timeout=30):
        """Find the sentinel and its monitor and pusher; raise when the cluster did not start."""
        def started():
            sentinels = children_of(self.process.pid)
            if not sentinels:
                return False
            children = children_of(sentinels[0])
            if len(children) < self.worker_count + 2:
                return False
            self.sentinel = sentinels[0]
            self.auxiliary = set(children[self.worker_count:self.worker_count + 2])
            return True

        if not wait_for(started, timeout, interval=0.2):
            raise SystemExit(f"the {self.lane} cluster (pid {self.process.pid}) did not start its workers within {timeout} s")

    def workers(self):
        return [pid for pid in children_of(self.sentinel) if pid not in self.auxiliary]

    def busy_worker(self, seconds=0.5):
        """Return the worker that used the most CPU over `seconds`, so it is in the middle of a task; None if all idle."""
        before = {pid: cpu_ticks(pid) for pid in self.workers()}
        time.sleep(seconds)
        after = {pid: cpu_ticks(pid) for pid in before}
        used = {pid: after[pid] - ticks for pid, ticks in before.items() if ticks is not None and after[pid] is not None}
        busiest = max(used, key=used.get, default=None)
        return busiest if busiest is not None and used[busiest] > 0 else None

    def idle_worker(self):
        """Return the idle worker that holds the task queue's reader lock, or None."""
        return next((pid for pid in self.workers() if waits_on_pipe(pid)), None)


def start_cluster(env):
    """Start a qcluster with the environment of the one it replaces (see order_flow.start_processes); return its Popen."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def kill_cluster(cluster, database_url):
    """Kill a cluster's whole process tree with SIGKILL, as a crashed machine would; return the count."""
    pids = [cluster.process.pid, *descendants_of(cluster.process.pid)]
    killed = sum(kill_pid(pid, database_url) for pid in pids)
    cluster.process.wait(timeout=10)
    return killed


# Readings


class Snapshot:
    """Stock figures of all products, read in one REPEATABLE READ transaction of the shared database.

    shop: the sandbox shop's stock. odoo_free: Odoo's quantity minus its reservations, per quant
    in internal locations, as Kontor records on-hand. in_transit: units of live shop orders whose
    sale order is not confirmed in Odoo yet, so Odoo's free quantity still contains them.
    restocked: units of orders cancelled in the shop whose sale order Odoo still holds, because
    the shop put them back into its own stock but Odoo has not released them. recent: units of live
    orders placed within RACE_WINDOW_SECONDS before the snapshot or not stored by Kontor yet.
    kontor: Kontor's own available quantity (on-hand less reservations, over active warehouses).
    """

    def __init__(self, shop, odoo_free, in_transit, restocked, recent, kontor):
        self.kontor = kontor
        self.shop = shop
        self.odoo_free = odoo_free
        self.in_transit = in_transit
        self.restocked = restocked
        self.recent = recent

    def really_free(self, sku):
        return self.odoo_free.get(sku, Decimal(0)) - self.in_transit.get(sku, Decimal(0))


SNAPSHOT_QUERIES = {
    "shop": """
        SELECT natural_key, (data->>'stock')::numeric FROM {table}
        WHERE system = 'shopware' AND collection = 'product' AND natural_key LIKE 'BENCH-%'
    """,
    "odoo_free": """
        SELECT p.natural_key, SUM(GREATEST((q.data->>'quantity')::numeric - COALESCE((q.data->>'reserved_quantity')::numeric, 0), 0))
        FROM {table} q
        JOIN {table} p ON p.system = 'odoo' AND p.collection = 'product.product' AND p.record_id = q.data->>'product_id'
        JOIN {table} l ON l.system = 'odoo' AND l.collection = 'stock.location' AND l.record_id = q.data->>'location_id'
        WHERE q.system = 'odoo' AND q.collection = 'stock.quant' AND l.data->>'usage' = 'internal'
        GROUP BY p.natural_key
    """,
    "kontor": """
        SELECT p.sku, SUM(l.on_hand - l.reserved) FROM {levels} l
        JOIN {products} p ON p.id = l.product_id
        JOIN {warehouses} w ON w.id = l.warehouse_id
        WHERE p.sku LIKE 'BENCH-%%' AND w.is_active
        GROUP BY p.sku
    """,
    # Shop orders by their state in the shop and whether Odoo has confirmed their sale order.
    "lines": """
        SELECT li.data->'payload'->>'productNumber',
               o.data->'stateMachineState'->>'technicalName' = 'cancelled',
               EXISTS (SELECT 1 FROM {table} so WHERE so.system = 'odoo' AND so.collection = 'sale.order'
                       AND so.natural_key = o.natural_key AND so.data->>'state' IN ('sale', 'done')),
               o.created_at > now() - interval '{race_window} seconds'
                   OR NOT EXISTS (SELECT 1 FROM {orders} k WHERE k.external_number = o.natural_key),
               SUM((li.data->>'quantity')::numeric)
        FROM {table} li
        JOIN {table} o ON o.system = 'shopware' AND o.collection = 'order' AND o.record_id = li.data->>'orderId'
        WHERE li.system = 'shopware' AND li.collection = 'order_line_item'
        GROUP BY 1, 2, 3, 4
    """,
}


def read_snapshot(connection):
    """Read a Snapshot on a psycopg connection of its own."""
    from catalog.models import Product, StockLevel, Warehouse
    from integrations.sandbox.models import SandboxRecord
    from orders.models import Order

    table = SandboxRecord._meta.db_table
    with connection.transaction():
        connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        shop = dict(connection.execute(SNAPSHOT_QUERIES["shop"].format(table=table)).fetchall())
        odoo_free = dict(connection.execute(SNAPSHOT_QUERIES["odoo_free"].format(table=table)).fetchall())
        kontor = dict(connection.execute(SNAPSHOT_QUERIES["kontor"].format(
            levels=StockLevel._meta.db_table, products=Product._meta.db_table, warehouses=Warehouse._meta.db_table,
        ).replace("%%", "%")).fetchall())
        lines = connection.execute(SNAPSHOT_QUERIES["lines"].format(table=table, orders=Order._meta.db_table, race_window=RACE_WINDOW_SECONDS)).fetchall()
    in_transit, restocked, recent = defaultdict(Decimal), defaultdict(Decimal), defaultdict(Decimal)
    for sku, cancelled, confirmed, placed_recently, quantity in lines:
        if not cancelled and not confirmed:
            in_transit[sku] += quantity
        elif cancelled and confirmed:
            restocked[sku] += quantity
        if not cancelled and placed_recently:
            recent[sku] += quantity
    return Snapshot(shop, odoo_free, in_transit, restocked, recent, kontor)


def database_connection():
    import psycopg

    return psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)


class StockMonitor(threading.Thread):
    """Sample the shop's stock against what is really free, every `interval` seconds.

    Really free is Odoo's free quantity minus the units of live shop orders Odoo has not
    confirmed yet. A sample where the shop shows more is an oversell risk. `beyond_restock`
    counts the samples whose surplus is more than the shop's own restock of orders cancelled in
    the shop, to which Kontor responds by sending its figure again. `unexplained` counts those whose
    surplus is also more than the units of the orders in the absolute-write race (see
    RACE_WINDOW_SECONDS).
    """

    def __init__(self, interval):
        super().__init__(daemon=True)
        self.interval = interval
        self.stopped = threading.Event()
        self.samples = 0
        self.over = 0
        self.beyond_restock = 0
        self.max_excess = Decimal(0)
        self.worst = None
        self.first_over_at = None
        self.started = time.monotonic()
        self.unexplained = 0
        # Samples with a surplus beyond the restock, by where it was: the shop above Kontor's own
        # figure (a write that put sold units back), or Kontor's figure above what is really free.
        self.shop_above_kontor = 0
        self.kontor_above_free = 0
        self.max_beyond = Decimal(0)
        self.worst_unexplained = None

    def run(self):
        connection = database_connection()
        try:
            while not self.stopped.wait(self.interval):
                self.check(read_snapshot(connection))
        finally:
            connection.close()

    def check(self, snapshot):
        self.samples += 1
        over = beyond = unexplained = shop_above = kontor_above = False
        for sku in SKUS:
            excess = Decimal(snapshot.shop.get(sku, 0)) - snapshot.really_free(sku)
            if excess <= 0:
                continue
            over = True
            restocked = snapshot.restocked.get(sku, 0)
            if excess > restocked:
                beyond = True
                self.max_beyond = max(self.max_beyond, excess - restocked)
                kontor = snapshot.kontor.get(sku)
                if kontor is not None and Decimal(snapshot.shop.get(sku, 0)) > kontor:
                    shop_above = True
                if kontor is not None and kontor - snapshot.really_free(sku) > restocked:
                    kontor_above = True
            if excess > restocked + snapshot.recent.get(sku, 0):
                unexplained = True
                if self.worst_unexplained is None or excess > self.worst_unexplained[1]:
                    self.worst_unexplained = (sku, excess, time.monotonic() - self.started, snapshot.recent.get(sku, 0), restocked)
            if excess > self.max_excess:
                self.max_excess = excess
                self.worst = (sku, snapshot.shop.get(sku), snapshot.odoo_free.get(sku), snapshot.in_transit.get(sku, 0), snapshot.restocked.get(sku, 0))
        self.over += over
        self.beyond_restock += beyond
        self.unexplained += unexplained
        self.shop_above_kontor += shop_above
        self.kontor_above_free += kontor_above
        if beyond and self.first_over_at is None:
            self.first_over_at = time.monotonic() - self.started


class OrderPlacer(threading.Thread):
    """Place orders in the sandbox shop at `rate` per second until stopped (order_flow.place_orders)."""

    def __init__(self, rate):
        super().__init__(daemon=True)
        self.rate = rate
        self.stopped = threading.Event()
        self.placed = 0

    def run(self):
        while not self.stopped.is_set():
            placed, _seconds = place_orders(self.rate, PLACING_CHUNK_SECONDS)
            self.placed += placed


def shop_orders():
    """Return {order number: (cancelled in the shop, placed at)} of the sandbox shop's orders."""
    from integrations.sandbox import store

    rows = store.rows("shopware", "order").values_list("natural_key", "data__stateMachineState__technicalName", "created_at")
    return {number: (state == "cancelled", created_at) for number, state, created_at in rows}


def sale_orders():
    """Return [(sale order id, client_order_ref, state)] of the sandbox Odoo, in creation order."""
    from integrations.sandbox import store

    rows = store.rows("odoo", "sale.order").values_list("record_id", "natural_key", "data__state")
    return sorted((int(record_id), reference, state) for record_id, reference, state in rows)


def outbox_summary(now):
    """Return a line about the order messages to Odoo: states, attempts, and when the retries are due."""
    from django.db.models import Count, Max, Min

    from integrations.models import OutboundMessage

    messages = OutboundMessage.objects.filter(connection__kind="odoo", entity="orders")
    states = dict(messages.values_list("state").annotate(count=Count("pk")))
    waiting = messages.filter(state__in=["pending", "in_flight"]).aggregate(
        first=Min("next_attempt_at"), last=Max("next_attempt_at"), attempts=Max("attempts")
    )
    codes = dict(messages.exclude(error_code="").values_list("error_code").annotate(count=Count("pk")))
    due = ""
    if waiting["first"] is not None:
        due = f", retries due in {(waiting['first'] - now).total_seconds():+.0f} s to {(waiting['last'] - now).total_seconds():+.0f} s, max attempts {waiting['attempts']}"
    return f"order messages {states}{due}, last error codes {codes}"


def queued_tasks():
    """Return {lane: tasks waiting in the lane's django-q2 queue in Redis}."""
    from django.conf import settings
    from django_q.brokers import get_broker

    return {lane: get_broker(lane).queue_size() for lane in settings.LANES}


def open_sync_errors():
    from django.db.models import Count

    from integrations.models import SyncError

    return dict(SyncError.objects.filter(resolved=False).values_list("code").annotate(count=Count("pk")).order_by("code"))


def inversions(sequence):
    """Return the number of pairs that appear in the opposite order of their values."""
    seen = []
    count = 0
    for value in sequence:
        count += len(seen) - bisect.bisect_right(seen, value)
        bisect.insort(seen, value)
    return count


def stock_rows(channel):
    """Return [(sku, shop, Kontor available, Kontor reserved, Odoo free)] for every product."""
    from django.db.models import Sum

    from catalog.models import Product, StockLevel
    from catalog.services.stock import available_for_channel

    connection = database_connection()
    try:
        snapshot = read_snapshot(connection)
    finally:
        connection.close()
    rows = []
    for product in Product.objects.filter(sku__in=SKUS).order_by("sku"):
        reserved = StockLevel.objects.filter(product=product).aggregate(total=Sum("reserved"))["total"] or Decimal(0)
        rows.append((
            product.sku, Decimal(shop_stock(product.sku)), available_for_channel(product, channel), reserved,
            snapshot.odoo_free.get(product.sku, Decimal(0)),
        ))
    return rows


def stock_settled(channel):
    return all(shop == available == odoo_free and reserved == 0 for _sku, shop, available, reserved, odoo_free in stock_rows(channel))


def settled(channel):
    """Return whether nothing is left to do: no order message or inbox event open, every live order confirmed, stock equal."""
    from integrations.models import InboundEvent, OutboundMessage

    if OutboundMessage.objects.filter(state__in=["pending", "in_flight"]).exists():
        return False
    if InboundEvent.objects.filter(state="pending").exists():
        return False
    confirmed = {reference for _id, reference, state in sale_orders() if state in ("sale", "done")}
    if any(not cancelled and number not in confirmed for number, (cancelled, _at) in shop_orders().items()):
        return False
    return stock_settled(channel)


# Phases


def progress(started, placer, message):
    print(f"[{time.monotonic() - started:6.1f} s] placed {placer.placed:5d} | {message}", flush=True)


def run_outage(args, started, placer):
    """Take Odoo down for `args.outage` seconds while orders keep coming; return the order messages failed meanwhile."""
    from django.utils import timezone

    from integrations.models import OutboundMessage
    from integrations.sandbox.faults import update_faults

    update_faults("odoo", {"server_error_percent": 100, "server_error_status": 503})
    progress(started, placer, f"Odoo down: 100 % HTTP 503 for {args.outage} s")
    deadline = time.monotonic() + args.outage
    while time.monotonic() < deadline:
        time.sleep(min(args.report_interval, max(deadline - time.monotonic(), 0)))
        progress(started, placer, outbox_summary(timezone.now()))
        progress(started, placer, f"open sync errors by code {open_sync_errors()}")
    return list(OutboundMessage.objects.filter(connection__kind="odoo", entity="orders", state="failed").values_list("pk", flat=True))


def kill_workers(args, started, placer, clusters, database_url):
    """Kill a worker of the hot and the poll lane `args.kills` times while the backlog drains, then one whole cluster.

    The worker killed is the one in the middle of a task (the most CPU used over half a
    second), or with --kill-idle the idle one that waits for the next task.
    """
    killed = Counter()
    for round_number in range(1, args.kills + 1):
        for lane in ("hot", "poll"):
            cluster = clusters[lane]
            pid = cluster.idle_worker() if args.kill_idle else cluster.busy_worker()
            if pid is not None and kill_pid(pid, database_url):
                killed[lane] += 1
        progress(started, placer, f"kill round {round_number}: workers killed so far {dict(killed)}")
        time.sleep(args.kill_interval)

    if args.cluster_kill != "none":
        cluster = clusters[args.cluster_kill]
        env = environment_of(cluster.process.pid)
        count = kill_cluster(cluster, database_url)
        progress(started, placer, f"{cluster.lane} cluster killed with SIGKILL ({count} processes); starting it again")
        time.sleep(2)
        clusters[cluster.lane] = Cluster(cluster.lane, start_cluster(env), cluster.worker_count)
        clusters[cluster.lane].discover()
        killed[f"{cluster.lane} cluster"] += 1
    return killed


def report(args, erp, channel, failed_during_outage, backlog_numbers, monitor, settled_in):
    """Print the figures and return the list of broken promises."""
    from django.db.models import Count

    from integrations.models import OutboundMessage, SyncError

    broken = []
    orders = shop_orders()
    sales = sale_orders()
    references = Counter(reference for _id, reference, _state in sales)
    live = {number for number, (cancelled, _at) in orders.items() if not cancelled}
    cancelled = set(orders) - live
    missing = sorted(live - set(references), key=int)
    duplicated = sorted((number for number, count in references.items() if count > 1), key=int)
    unknown = sorted(set(references) - set(orders))
    print("\n## Orders\n")
    print(f"orders placed in the shop: {len(orders)} ({len(cancelled)} cancelled in the shop since)")
    print(f"sale orders in Odoo: {len(sales)} for {len(references)} references, states {dict(Counter(state for *_rest, state in sales))}")
    print(f"live shop orders missing in Odoo: {len(missing)} {missing[:20]}")
    print(f"cancelled shop orders not in Odoo: {len(cancelled - set(references))}")
    print(f"references with more than one sale order: {len(duplicated)} {duplicated[:20]}")
    print(f"sale orders naming no shop order: {len(unknown)} {unknown[:20]}")
    if missing:
        broken.append(f"{len(missing)} live shop orders missing in Odoo")
    if duplicated:
        broken.append(f"{len(duplicated)} shop orders duplicated in Odoo")

    # Order of arrival: Odoo numbers sale orders in creation order, the shop its orders in placement order.
    arrival = [int(reference) for _id, reference, _state in sales if reference in orders]
    backlog = [number for number in arrival if str(number) in backlog_numbers]
    per_product = _per_product_inversions(sales)
    print("\n## Order of arrival in Odoo (sale order id against shop order number)\n")
    print(f"all orders: {inversions(arrival)} inversions among {len(arrival)} orders")
    print(f"backlog of the outage: {inversions(backlog)} inversions among {len(backlog)} orders")
    print(f"per product (orders that contain the product): {sum(per_product.values())} inversions, in {sum(1 for count in per_product.values() if count)} of {len(per_product)} products")

    print("\n## Outbound messages not delivered\n")
    undelivered = (
        OutboundMessage.objects.exclude(state__in=["delivered", "skipped", "superseded"])
        .values_list("connection__slug", "entity", "state", "error_code")
        .annotate(count=Count("pk"))
        .order_by("connection__slug", "entity", "state")
    )
    for slug, entity, state, code, count in undelivered:
        print(f"{slug} {entity} {state} {code or '-'}: {count}")
    for message in OutboundMessage.objects.filter(state="failed").order_by("pk")[:10]:
        print(f"  failed message {message.pk} ({message.entity} {message.object_id}, {message.attempts} attempts): {message.last_error[:200]}")
    if not undelivered:
        print("none")
    order_messages = OutboundMessage.objects.filter(connection=erp, entity="orders")
    attempts = dict(order_messages.values_list("attempts").annotate(count=Count("pk")).order_by("attempts"))
    per_order = Counter(order_messages.values_list("object_id", flat=True))
    print(f"order messages to Odoo by attempts: {attempts}; orders with more than one message: {sum(1 for count in per_order.values() if count > 1)}")
    failed_orders = order_messages.filter(state="failed").count()
    if failed_during_outage or failed_orders:
        broken.append(f"order messages failed for good: {len(failed_during_outage)} during the outage, {failed_orders} at the end")

    print("\n## Sync errors\n")
    unresolved = dict(SyncError.objects.filter(resolved=False).values_list("code").annotate(count=Count("pk")).order_by("code"))
    resolved = dict(SyncError.objects.filter(resolved=True).values_list("code").annotate(count=Count("pk")).order_by("code"))
    print(f"unresolved by code: {unresolved or 'none'}; resolved by code: {resolved or 'none'}")

    print("\n## Stock\n")
    rows = stock_rows(channel)
    unequal = [row for row in rows if not (row[1] == row[2] == row[4] and row[3] == 0)]
    print(f"products where shop = Kontor available = Odoo free and nothing is reserved: {len(rows) - len(unequal)} of {len(rows)}")
    for sku, shop, available, reserved, odoo_free in unequal[:20]:
        print(f"  {sku}: shop {shop}, Kontor available {available} (reserved {reserved}), Odoo free {odoo_free}")
    if unequal:
        broken.append(f"stock differs for {len(unequal)} products")
    print(
        f"monitor: {monitor.samples} samples, shop above really free in {monitor.over}, beyond the shop's own restock in "
        f"{monitor.beyond_restock} (first {'-' if monitor.first_over_at is None else format(monitor.first_over_at, '.0f') + ' s after the monitor started'}); largest surplus {monitor.max_excess} (sku, shop, Odoo free, in transit, restocked: {monitor.worst})"
    )
    print(
        f"monitor: samples with a surplus beyond the restock and the units of orders placed in the last {RACE_WINDOW_SECONDS} s or not stored by Kontor yet: "
        f"{monitor.unexplained} (largest: sku, surplus, seconds after start, recent units, restocked: {monitor.worst_unexplained})"
    )
    print(
        f"monitor: of the samples beyond the restock, the shop showed more than Kontor's own figure in {monitor.shop_above_kontor}, "
        f"and Kontor's figure was above what is really free in {monitor.kontor_above_free}; largest surplus beyond the restock {monitor.max_beyond}"
    )
    if monitor.beyond_restock:
        broken.append(f"the shop showed more than was free in {monitor.beyond_restock} samples ({monitor.unexplained} beyond the absolute-write race)")
    print(f"\nsettled {'after ' + format(settled_in, '.0f') + ' s' if settled_in is not None else f'NOT within {args.settle_timeout} s'}")
    return broken


def _per_product_inversions(sales):
    """Return {sku: inversions} of the orders containing each product, in Odoo's creation order."""
    from integrations.sandbox import store

    order_ids = dict(store.rows("shopware", "order").values_list("record_id", "natural_key"))
    skus_of = defaultdict(set)
    for order_id, sku in store.rows("shopware", "order_line_item").values_list("data__orderId", "data__payload__productNumber"):
        skus_of[order_ids.get(order_id)].add(sku)
    sequences = defaultdict(list)
    for _id, reference, _state in sales:
        for sku in skus_of.get(reference, ()):
            sequences[sku].append(int(reference))
    return {sku: inversions(sequence) for sku, sequence in sequences.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8781)
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn sync workers.")
    parser.add_argument("--rate", type=float, default=10, help="Orders placed per second throughout the drill.")
    parser.add_argument("--warmup", type=int, default=15, help="Seconds of orders before Odoo goes down.")
    parser.add_argument("--outage", type=int, default=60, help="Seconds during which Odoo returns HTTP 503 to every request; the real case is an hour (3600).")
    parser.add_argument("--kills", type=int, default=3, help="Rounds of killing one hot-lane and one poll-lane worker while the backlog drains.")
    parser.add_argument("--kill-idle", action="store_true", help="Kill the idle worker that waits for the next task instead of a busy one.")
    parser.add_argument("--kill-interval", type=float, default=5, help="Seconds between kill rounds.")
    parser.add_argument("--cluster-kill", choices=["none", "hot", "master", "poll"], default="poll", help="Lane whose whole cluster is killed and started again after the kill rounds.")
    parser.add_argument("--drain-wait", type=int, default=90, help="Seconds to wait after Odoo returns for the backlog to start draining before the kills.")
    parser.add_argument("--settle-timeout", type=int, default=300, help="Seconds to wait for the system to settle after the last order.")
    parser.add_argument("--report-interval", type=float, default=10, help="Seconds between progress lines during the outage and the settling.")
    parser.add_argument("--sample-interval", type=float, default=2, help="Seconds between samples of the stock monitor.")
    args = parser.parse_args()

    database_url = os.environ["DATABASE_URL"]
    # The driver places the orders, so the sandbox shop's webhooks would log a line per order.
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    recreate_database(database_url)
    setup_django()
    from django.conf import settings

    shop, erp = prepare(args.port)
    processes = start_processes(args.port, args.web_workers)
    clusters = {
        lane: Cluster(lane, process, settings.LANES[lane]["workers"])
        for lane, process in zip(settings.LANES, processes[1:], strict=True)
    }
    sweeper = Sweeper()
    placer = OrderPlacer(args.rate)
    monitor = StockMonitor(args.sample_interval)
    started = time.monotonic()
    try:
        for cluster in clusters.values():
            cluster.discover()
        from django.utils import timezone

        from catalog.models import Channel
        from integrations.odoo.tasks import ensure_pollers
        from integrations.sandbox.faults import reset_faults
        from integrations.shopware.tasks import push_catalog

        channel = Channel.objects.get(code="shopware-bench")
        progress(started, placer, f"catalog push: {push_catalog(shop.pk)}")
        ensure_pollers()
        sweeper.start()
        if not wait_for(lambda: stock_settled(channel), 120, 0.5):
            progress(started, placer, "warning: the initial stock did not reach the shop within 120 s")
        monitor.start()

        placer.start()
        progress(started, placer, f"placing {args.rate:g} orders/s; warm-up {args.warmup} s")
        time.sleep(args.warmup)
        before_outage = set(shop_orders())
        confirmed_before = sum(1 for *_rest, state in sale_orders() if state == "sale")
        progress(started, placer, f"warm-up done: {confirmed_before} sale orders confirmed in Odoo")

        failed_during_outage = run_outage(args, started, placer)
        backlog_numbers = set(shop_orders()) - before_outage
        progress(started, placer, f"order messages failed for good during the outage: {len(failed_during_outage)} {failed_during_outage[:20]}")

        reset_faults("odoo")
        outage_confirmed = sum(1 for *_rest, state in sale_orders() if state == "sale")
        progress(started, placer, "Odoo back; waiting for the backlog to start draining")
        draining = wait_for(lambda: sum(1 for *_rest, state in sale_orders() if state == "sale") > outage_confirmed, args.drain_wait, 0.5)
        progress(started, placer, f"backlog {'draining' if draining else 'not draining yet'}: {outbox_summary(timezone.now())}")
        killed = kill_workers(args, started, placer, clusters, database_url)

        placer.stopped.set()
        placer.join()
        progress(started, placer, f"stopped placing orders; killed {dict(killed)}; waiting up to {args.settle_timeout} s to settle")
        settle_started = time.monotonic()
        settled_in = None
        deadline = settle_started + args.settle_timeout
        while time.monotonic() < deadline:
            if settled(channel):
                settled_in = time.monotonic() - settle_started
                break
            time.sleep(args.report_interval)
            progress(started, placer, f"{outbox_summary(timezone.now())}; tasks queued {queued_tasks()}")
        monitor.stopped.set()
        monitor.join()

        broken = report(args, erp, channel, failed_during_outage, backlog_numbers, monitor, settled_in)
    finally:
        monitor.stopped.set()
        placer.stopped.set()
        sweeper.stopped.set()
        leftovers = [pid for cluster in clusters.values() for pid in descendants_of(cluster.process.pid)]
        leftovers += descendants_of(processes[0].pid)
        stop_processes([processes[0], *(cluster.process for cluster in clusters.values())])
        for pid in leftovers:
            kill_pid(pid, database_url)

    if broken:
        print("\nBROKEN: " + "; ".join(broken))
        raise SystemExit(1)
    if settled_in is None:
        raise SystemExit(2)
    print("\nall promises held")


if __name__ == "__main__":
    main()
