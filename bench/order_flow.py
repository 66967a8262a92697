"""End-to-end order flow benchmark: sandbox Shopware shop -> Kontor -> sandbox Odoo, and stock back.

Runs everything on loopback: gunicorn serves Kontor's webhooks, a second gunicorn on the next
port serves both sandbox systems, one django-q2 cluster per lane (hot, master, poll) does the
work, and this process places orders in the sandbox shop at rising rates (replaying the UCI
invoices) from several threads. For each rate it reports the orders placed per second, the
orders per second that reached Odoo as confirmed sale orders (from the first order placed to the
last one confirmed), the CPU time per confirmed order of each kind of process (bench/cpu.py),
with Kontor's own share apart from the simulated systems and this driver, and whether any order
was lost or duplicated. Then it changes Odoo stock and measures how long the sandbox shop takes
to show it, idle and under order load (p50, p99).

The database named in DATABASE_URL is dropped and created again, and the Redis db in REDIS_URL
is flushed, so point both at a benchmark database:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kontor_erp_bench \\
    REDIS_URL=redis://127.0.0.1:6379/8 SECRET_KEY=bench SANDBOX_ENABLED=true \\
        .venv/bin/python bench/order_flow.py --rates 5,10,20,50 --seconds 20
"""

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qsl, urlencode, urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
SKU_COUNT = 60
ODOO_STOCK = 1_000_000
# Stock bands for the latency probes: a change is seen once the shop's figure is in the new band.
PROBE_LEVELS = (500_000, 800_000)
PROBE_BAND = 50_000
# PostgreSQL application names of the process groups, so the CPU meter can tell apart the
# database work of Kontor, of the simulated systems and of this driver.
KONTOR_APPLICATION = "kontor-bench"
SANDBOX_APPLICATION = "kontor-bench-sandbox"
DRIVER_APPLICATION = "kontor-bench-driver"
# Process groups that stand in for the shop, the ERP and their customers, not for Kontor.
OUTSIDE_KONTOR = ("driver", "sandboxes", "PostgreSQL (sandboxes)", "PostgreSQL (driver)")


def with_application_name(database_url, name):
    """Return `database_url` with PostgreSQL's application_name set to `name`."""
    parsed = urlparse(database_url)
    query = dict(parse_qsl(parsed.query))
    query["application_name"] = name
    return urlunparse(parsed._replace(query=urlencode(query)))


def recreate_database(url):
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    with psycopg.connect(host=parsed.hostname, port=parsed.port or 5432, user=parsed.username or "postgres", dbname="postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare(port, sandbox_port=None):
    """Migrate, build the catalog, the two connections and the sandbox systems; return them.

    The connections call the sandboxes on `sandbox_port` (default: `port`), and the sandbox
    shop sends its webhooks to Kontor on `port`.
    """
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from django.conf import settings

    from catalog.models import Channel, Price, PriceList, Product, ProductTranslation
    from integrations.models import Connection
    from integrations.odoo.routes import set_up_shop_and_erp
    from integrations.ratelimit import redis_client
    from integrations.sandbox.odoo import seed
    from integrations.sandbox.shopware import state

    redis_client(settings.REDIS_URL).flushdb()
    price_list = PriceList.objects.create(code="retail", name="Retail")
    for index in range(SKU_COUNT):
        product = Product.objects.create(sku=f"BENCH-{index:03d}")
        ProductTranslation.objects.create(product=product, locale="de_DE", name=f"Artikel {index}")
        Price.objects.create(product=product, price_list=price_list, currency="EUR", amount=Decimal("11.90"))
        seed.add_product(product.sku, f"Artikel {index}", quantity=ODOO_STOCK)

    base = f"http://127.0.0.1:{port}"
    sandbox_base = f"http://127.0.0.1:{sandbox_port or port}"
    Channel.objects.create(code="shopware-bench", name="Shopware bench", currencies=["EUR", "GBP", "USD"])
    shop = Connection(kind="shopware", name="Shopware bench", slug="shopware-bench", base_url=f"{sandbox_base}/sandbox/shopware", rate_limit_per_second=5000, rate_limit_burst=5000)
    shop.set_credentials({"access_key_id": state.DEFAULT_ACCESS_KEY, "secret_access_key": state.DEFAULT_SECRET_ACCESS_KEY, "shop_secret": state.DEFAULT_SHOP_SECRET})
    shop.save()
    erp = Connection(kind="odoo", name="Odoo bench", slug="odoo-bench", base_url=f"{sandbox_base}/sandbox/odoo", rate_limit_per_second=5000, rate_limit_burst=5000)
    erp.set_credentials({"database": seed.DEFAULT_DATABASE, "login": seed.DEFAULT_LOGIN, "api_key": seed.DEFAULT_API_KEY, "version": "19.0"})
    erp.save()
    set_up_shop_and_erp(shop, erp)
    from integrations.odoo.tasks import schedule_pollers

    # As in production: a poll loop that died is started again within a minute.
    schedule_pollers()
    events = ("checkout.order.placed", "state_enter.order.state.cancelled")
    state.update_settings({"webhooks": [{"name": event, "eventName": event, "url": f"{base}/hooks/{shop.slug}/"} for event in events]})
    return shop, erp


def _gunicorn(port, workers, env):
    return subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--access-logfile", "/dev/null", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )


def start_processes(port, workers):
    """Start Kontor: gunicorn on `port` and one django-q2 cluster per lane; return [gunicorn, *clusters]."""
    from django.conf import settings

    env = dict(os.environ, DEBUG="false", LOG_LEVEL="WARNING")
    env["DATABASE_URL"] = with_application_name(env["DATABASE_URL"], KONTOR_APPLICATION)
    gunicorn = _gunicorn(port, workers, env)
    clusters = [
        subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=dict(env, Q_CLUSTER_NAME=lane), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for lane in settings.LANES
    ]
    for _attempt in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/sandbox/odoo/_control", timeout=2)
            return [gunicorn, *clusters]
        except OSError:
            time.sleep(0.2)
    stop_processes([gunicorn, *clusters])
    raise SystemExit("gunicorn did not start within 20 s")


def start_sandbox_server(port, workers):
    """Start a gunicorn of its own on `port` that serves only the simulated shop and ERP; return it.

    The simulated systems then use CPU outside Kontor's processes, so the meter shows what
    Kontor itself costs per order.
    """
    env = dict(os.environ, DEBUG="false", LOG_LEVEL="WARNING")
    env["DATABASE_URL"] = with_application_name(env["DATABASE_URL"], SANDBOX_APPLICATION)
    server = _gunicorn(port, workers, env)
    for _attempt in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/sandbox/odoo/_control", timeout=2)
            return server
        except OSError:
            time.sleep(0.2)
    stop_processes([server])
    raise SystemExit("the sandbox gunicorn did not start within 20 s")


def stop_processes(processes):
    """Stop the processes and everything they started; kill what is left after 15 s.

    A django-q2 cluster whose poll loop is still running does not stop in time, and killing only
    its main process would leave its sentinel and workers running.
    """
    from bench.cpu import descendants, process_tree

    tree = process_tree()
    children = [pid for process in processes for pid in descendants(process.pid, tree) if pid != process.pid]
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def shop_stock(sku):
    from integrations.sandbox import store

    row = store.find_by_natural_key("shopware", "product", sku)
    return int(row.data.get("stock") or 0) if row else 0


def wait_for(condition, timeout, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


class Sweeper(threading.Thread):
    """Run the framework's sweep every minute, as its django-q2 schedule does in production.

    More often would queue every pending message again each time and flood the hot lane with
    deliveries that find their message already claimed.
    """

    def __init__(self):
        super().__init__(daemon=True)
        self.stopped = threading.Event()

    def run(self):
        from django.db import connection

        from integrations.tasks import sweep

        while not self.stopped.wait(60.0):
            sweep()
        connection.close()


# Orders are placed in blocks of about this many seconds' worth, so threads take the stream
# position once per block and the orders of a block share their queries. Short enough that the
# offered rate stays even (up to 20 blocks per second), not a burst of a second's orders at once.
BLOCK_SECONDS = 0.05


def place_orders(rate, seconds, threads=4):
    """Place orders at `rate` per second for `seconds`; return (orders placed, elapsed seconds).

    Each block of orders is due at the time of its first order, and a thread that is free
    takes the next due block, so a slow block is made up by the next ones.
    """
    from django.db import connection

    from integrations.sandbox.shopware import stream

    started = time.monotonic()
    total = int(rate * seconds)
    block_size = max(1, int(rate * BLOCK_SECONDS))
    next_order = [0]
    lock = threading.Lock()
    placed = [0]

    def worker():
        try:
            while True:
                with lock:
                    first = next_order[0]
                    size = min(block_size, total - first)
                    next_order[0] += max(size, 0)
                if size <= 0:
                    return
                delay = started + first / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                outcomes = stream.place_orders(size)
                with lock:
                    placed[0] += outcomes["placed"]
        finally:
            connection.close()

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return placed[0], time.monotonic() - started


def shop_order_numbers():
    from integrations.sandbox import store

    return {data["orderNumber"] for data in store.rows("shopware", "order").values_list("data", flat=True)}


def erp_references():
    """Return {client_order_ref: number of sale orders} in the sandbox Odoo."""
    from collections import Counter

    from integrations.sandbox import store

    return Counter(store.rows("odoo", "sale.order").values_list("natural_key", flat=True))


def confirmed_count():
    from integrations.sandbox import store

    return store.rows("odoo", "sale.order").filter(data__state="sale").count()


def cancelled_unsent_numbers():
    """Return the numbers of the orders cancelled before Kontor sent them to an ERP.

    The shop sends its webhooks from several threads, so a cancellation can be stored before
    the order's "placed" event. Kontor then stores the order as cancelled, and Odoo never gets it.
    A cancellation that arrives while the order's ERP message still waits withdraws the message.
    """
    from django.db.models import CharField, Exists, OuterRef
    from django.db.models.functions import Cast

    from integrations.models import OutboundMessage, OutboundState
    from orders.models import Order, OrderStatus

    sent = OutboundMessage.objects.filter(entity="orders", object_id=Cast(OuterRef("pk"), CharField())).exclude(
        state__in=[OutboundState.WITHDRAWN, OutboundState.SUPERSEDED]
    )
    return set(Order.objects.filter(status=OrderStatus.CANCELLED).exclude(Exists(sent)).values_list("external_number", flat=True))


def run_rate(rate, seconds, drain_timeout, meter):
    from bench.cpu import difference

    before = confirmed_count()
    cancelled_before = len(cancelled_unsent_numbers())
    cpu_before = meter.snapshot()
    started = time.monotonic()
    placed, placing_seconds = place_orders(rate, seconds)
    target = before + placed
    wait_for(lambda: confirmed_count() + len(cancelled_unsent_numbers()) - cancelled_before >= target, drain_timeout, interval=0.25)
    done = confirmed_count() - before
    elapsed = time.monotonic() - started
    cpu = difference(meter.snapshot(), cpu_before)
    return {
        "rate": rate, "placed": placed, "placed_per_second": placed / placing_seconds, "confirmed": done,
        "end_to_end_per_second": done / elapsed, "seconds": elapsed,
        "cpu_ms_per_order": {name: 1000 * value / max(done, 1) for name, value in cpu.items()},
    }


def cpu_groups(processes, database_url, sandbox=None):
    """Return the process groups to meter: this driver, gunicorn, each lane's cluster, PostgreSQL, Redis.

    PostgreSQL counts the backends connected to the benchmark database, read from
    pg_stat_activity on the meter's own connection, which is left out. With a `sandbox` server
    (start_sandbox_server), its gunicorn and the database work of the sandboxes and of this
    driver are groups of their own, distinguished by their application_name.
    """
    import psycopg
    from django.conf import settings

    from integrations.ratelimit import redis_client

    parsed = urlparse(database_url)
    name = parsed.path.lstrip("/")
    monitor = psycopg.connect(host=parsed.hostname, port=parsed.port or 5432, user=parsed.username or "postgres", dbname="postgres", autocommit=True)

    def backends(*, only=None, without=()):
        rows = monitor.execute(
            "SELECT pid, application_name FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [name]
        ).fetchall()
        return [pid for pid, application in rows if (only is None or application == only) and application not in without]

    gunicorn, *clusters = processes
    groups = {"driver": lambda: [os.getpid()]}
    if sandbox is None:
        groups["gunicorn (intake, sandboxes)"] = gunicorn.pid
    else:
        groups["sandboxes"] = sandbox.pid
        groups["gunicorn (intake)"] = gunicorn.pid
    groups.update({f"{lane} lane": cluster.pid for lane, cluster in zip(settings.LANES, clusters, strict=True)})
    if sandbox is None:
        groups["PostgreSQL"] = backends
    else:
        groups["PostgreSQL (Kontor)"] = lambda: backends(without=(SANDBOX_APPLICATION, DRIVER_APPLICATION))
        groups["PostgreSQL (sandboxes)"] = lambda: backends(only=SANDBOX_APPLICATION)
        groups["PostgreSQL (driver)"] = lambda: backends(only=DRIVER_APPLICATION)
    redis_pid = redis_client(settings.REDIS_URL).info("server").get("process_id")
    if redis_pid:
        groups["Redis"] = lambda: [int(redis_pid)]
    return groups


class Probe(NamedTuple):
    """One stock change of a latency probe, with wall-clock times (seconds since the epoch)."""

    sku: str
    level: int
    changed_at: float
    stored_at: float  # when set_stock returned, its transaction committed
    seen_at: float | None  # None when the shop did not show the change within 30 s
    on_hand: int  # what Odoo's on-hand was set to: `level` free plus the units reserved then

    @property
    def latency(self):
        return None if self.seen_at is None else self.seen_at - self.changed_at


def odoo_reserved(sku):
    """Return the units of `sku` that sale orders reserve in the sandbox Odoo, as an int."""
    from integrations.sandbox.odoo import records, seed

    quants = records.search("stock.quant", [["product_id", "=", seed.product_by_sku(sku)["id"]]])
    return int(sum(quant["reserved_quantity"] for quant in quants))


def probe_latency(probes, sku_pool):
    """Change Odoo stock `probes` times and return a Probe for each, seen or not."""
    from integrations.sandbox.odoo import seed

    results = []
    for index in range(probes):
        sku = random.choice(sku_pool)
        level = PROBE_LEVELS[index % 2] if shop_stock(sku) > PROBE_LEVELS[0] + PROBE_BAND * 2 else PROBE_LEVELS[1]
        # The shop shows Odoo's free quantity. The confirmed orders of the steps keep units
        # reserved in Odoo (more than the band for a busy product), so on-hand is set above the
        # level by them.
        reserved = odoo_reserved(sku)
        changed_at = time.time()
        seed.set_stock(sku, level + reserved)
        stored_at = time.time()
        seen = wait_for(lambda sku=sku, level=level: abs(shop_stock(sku) - level) < PROBE_BAND, 30, interval=0.02)
        results.append(Probe(sku, level, changed_at, stored_at, time.time() if seen else None, level + reserved))
        time.sleep(0.2)
    return results


# The steps of a probe, from the stock change in Odoo until the shop shows it (see probe_steps).
PROBE_STEPS = ("odoo write", "until read", "apply", "until claimed", "send", "until seen")


def probe_steps(probe, erp):
    """Return {step: seconds} for a seen probe, read from the inbox event and outbound message it caused.

    odoo write: set_stock in the sandbox Odoo, waiting for quant locks that sale order
    confirmations hold. until read: the change committed until the stock loop stored it as an
    inbox event. apply: stored until processed. until claimed: processed until the stock message
    with the new figure was claimed for sending. send: claimed until its outcome was recorded
    (the Sync API request). until seen: from then until this process saw the figure in the shop.
    Returns None when the event or the message cannot be found (a coalesced or stale read).
    """
    from datetime import UTC, datetime

    from catalog.models import Product
    from integrations.models import InboundEvent, OutboundMessage
    from integrations.sandbox.odoo import seed

    if probe.seen_at is None:
        return None
    since = datetime.fromtimestamp(probe.changed_at, UTC)
    odoo_product_id = seed.product_by_sku(probe.sku)["id"]
    events = InboundEvent.objects.filter(
        connection=erp, entity="stock", external_id__startswith=f"{odoo_product_id}@", received_at__gte=since
    ).order_by("received_at")
    event = next((event for event in events if Decimal(event.payload["quantity"]) == probe.on_hand), None)
    if event is None or event.processed_at is None:
        return None
    product = Product.objects.get(sku=probe.sku)
    messages = OutboundMessage.objects.filter(entity="stock", object_id=str(product.pk), created_at__gte=event.received_at).order_by("created_at")
    message = next(
        (message for message in messages if abs(Decimal(message.payload["available"]) - probe.level) < PROBE_BAND and message.delivered_at),
        None,
    )
    if message is None:
        return None
    times = [
        probe.changed_at, probe.stored_at, event.received_at.timestamp(), event.processed_at.timestamp(),
        message.first_attempt_at.timestamp(), message.delivered_at.timestamp(), probe.seen_at,
    ]
    return {step: end - start for step, start, end in zip(PROBE_STEPS, times[:-1], times[1:], strict=True)}


def print_unseen_probes(label, probes, erp):
    """Print, for each probe the shop did not show within 30 s, what each system holds for its product."""
    from datetime import UTC, datetime

    from catalog.models import Product
    from integrations.models import InboundEvent, OutboundMessage
    from integrations.sandbox.odoo import records, seed

    for probe in probes:
        if probe.seen_at is not None:
            continue
        since = datetime.fromtimestamp(probe.changed_at, UTC)
        odoo_product_id = seed.product_by_sku(probe.sku)["id"]
        product = Product.objects.get(sku=probe.sku)
        quants = records.search("stock.quant", [["product_id", "=", odoo_product_id]])
        print(f"\nunseen probe {label}: {probe.sku} set to {probe.on_hand} on hand ({probe.level} free) at +0 s; shop now {shop_stock(probe.sku)}")
        for quant in quants:
            print(f"  odoo quant {quant['id']}: quantity {quant['quantity']}, reserved {quant['reserved_quantity']}, write_date {quant.get('write_date')}")
        events = InboundEvent.objects.filter(
            connection=erp, entity="stock", external_id__startswith=f"{odoo_product_id}@", received_at__gte=since
        ).order_by("received_at")
        for event in events:
            print(
                f"  event {event.pk} +{(event.received_at - since).total_seconds():.2f} s: quantity {event.payload.get('quantity')}, "
                f"{event.state} {event.outcome or ''} {event.error[:80] if event.error else ''}"
            )
        messages = OutboundMessage.objects.filter(entity="stock", object_id=str(product.pk), created_at__gte=since).order_by("created_at")
        for message in messages:
            delivered = f"+{(message.delivered_at - since).total_seconds():.2f} s" if message.delivered_at else "-"
            print(
                f"  message {message.pk} +{(message.created_at - since).total_seconds():.2f} s: available {message.payload.get('available')}, "
                f"{message.state}, delivered {delivered} {message.error_code}"
            )


def print_probe_steps(label, probes, erp):
    """Print each step's p50, p99 and maximum over the probes, and the steps of the slowest probes."""
    steps = [(probe, probe_steps(probe, erp)) for probe in probes]
    found = [(probe, step) for probe, step in steps if step is not None]
    print(f"\nsteps of the stock probes {label} ({len(found)} of {len(probes)} traced), seconds:\n")
    print("| step | p50 | p99 | max |")
    print("| --- | ---: | ---: | ---: |")
    for name in PROBE_STEPS:
        values = [step[name] for _probe, step in found]
        print(f"| {name} | {percentile(values, 0.5):.2f} | {percentile(values, 0.99):.2f} | {max(values, default=float('nan')):.2f} |")
    print("\nslowest probes: total = " + " + ".join(PROBE_STEPS))
    for probe, step in sorted(found, key=lambda entry: -entry[0].latency)[:5]:
        print(f"  {probe.sku} {probe.latency:.2f} s = " + " + ".join(f"{step[name]:.2f}" for name in PROBE_STEPS))


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="5,10,20,50,100,200", help="Order rates to drive, in orders per second, comma-separated.")
    parser.add_argument("--seconds", type=int, default=20, help="Seconds each rate is driven.")
    parser.add_argument("--drain-timeout", type=int, default=120, help="Seconds to wait for the orders of a rate to reach Odoo.")
    parser.add_argument("--probes", type=int, default=40, help="Stock changes per latency measurement.")
    parser.add_argument("--load-rate", type=float, default=10, help="Order rate during the loaded latency measurement.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn sync workers of Kontor.")
    parser.add_argument(
        "--sandbox-workers", type=int, default=4,
        help="Sync workers of a gunicorn of their own on port + 1 for the simulated systems; 0 serves them from Kontor's gunicorn.",
    )
    parser.add_argument("--steps", action="store_true", help="Print where the time of each stock probe went, step by step.")
    args = parser.parse_args()

    recreate_database(os.environ["DATABASE_URL"])
    # This process's own database work (the sandbox shop placing orders) is metered apart.
    database_url = os.environ["DATABASE_URL"]
    os.environ["DATABASE_URL"] = with_application_name(database_url, DRIVER_APPLICATION)
    setup_django()
    sandbox_port = args.port + 1 if args.sandbox_workers else None
    shop, erp = prepare(args.port, sandbox_port)
    processes = start_processes(args.port, args.web_workers)
    sandbox = start_sandbox_server(sandbox_port, args.sandbox_workers) if sandbox_port else None
    sweeper = Sweeper()
    from bench.cpu import CpuMeter

    meter = CpuMeter(cpu_groups(processes, database_url, sandbox))
    meter.start()
    try:
        from integrations.odoo.tasks import ensure_pollers
        from integrations.shopware.tasks import push_catalog

        print(f"catalog push: {push_catalog(shop.pk)}", flush=True)
        ensure_pollers()
        sweeper.start()
        skus = [f"BENCH-{index:03d}" for index in range(SKU_COUNT)]
        if not wait_for(lambda: all(shop_stock(sku) >= ODOO_STOCK - 1000 for sku in skus), 120, 0.5):
            print("warning: not all initial stock reached the shop within 120 s", flush=True)

        results = []
        for rate in [float(value) for value in args.rates.split(",")]:
            result = run_rate(rate, args.seconds, args.drain_timeout, meter)
            results.append(result)
            print(result, flush=True)

        print(f"load average before the probes: {os.getloadavg()[0]:.2f}", flush=True)
        idle = probe_latency(args.probes, skus)
        loader = threading.Thread(target=place_orders, args=(args.load_rate, args.probes), daemon=True)
        loader.start()
        loaded = probe_latency(args.probes, skus)
        loader.join()
        print(f"load average after the loaded probes: {os.getloadavg()[0]:.2f}", flush=True)
        wait_for(lambda: confirmed_count() >= len(shop_order_numbers()), args.drain_timeout, 0.5)

        references = erp_references()
        shop_numbers = shop_order_numbers()
        cancelled_unsent = cancelled_unsent_numbers()
        missing = sorted(number for number in shop_numbers - cancelled_unsent if references.get(number, 0) == 0)
        duplicated = sorted(number for number, count in references.items() if count > 1)

        print("\n| target orders/s | placed/s | reached Odoo (confirmed)/s end to end | placed | confirmed | seconds |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: |")
        for result in results:
            print(f"| {result['rate']:g} | {result['placed_per_second']:.1f} | {result['end_to_end_per_second']:.1f} | {result['placed']} | {result['confirmed']} | {result['seconds']:.1f} |")
        names = list(results[0]["cpu_ms_per_order"]) if results else []
        print("\nCPU milliseconds per confirmed order, by process group:\n")
        print("| target orders/s | " + " | ".join(names) + " | total | Kontor alone |")
        print("| ---: |" + " ---: |" * (len(names) + 2))
        for result in results:
            cpu = result["cpu_ms_per_order"]
            kontor = sum(value for name, value in cpu.items() if name not in OUTSIDE_KONTOR)
            print(f"| {result['rate']:g} | " + " | ".join(f"{cpu[name]:.1f}" for name in names) + f" | {sum(cpu.values()):.1f} | {kontor:.1f} |")
        if sandbox is not None and results:
            kontor = min(sum(value for name, value in result["cpu_ms_per_order"].items() if name not in OUTSIDE_KONTOR) for result in results)
            cores = os.cpu_count()
            print(f"\nAt {kontor:.1f} ms of CPU per order, Kontor alone would carry about {1000 * cores / kontor:.0f} orders/s on this host's {cores} cores.")
        print(
            f"\nshop orders {len(shop_numbers)}, missing in Odoo {len(missing)}, duplicated in Odoo {len(duplicated)}, "
            f"cancelled before Kontor sent them to Odoo (sent to no ERP) {len(cancelled_unsent)}"
        )
        for label, probes in (("idle", idle), (f"under {args.load_rate:g} orders/s", loaded)):
            latencies = [probe.latency for probe in probes if probe.latency is not None]
            print(f"stock change Odoo -> shop, {label}: n={len(latencies)}/{args.probes}, p50 {percentile(latencies, 0.5):.2f} s, p99 {percentile(latencies, 0.99):.2f} s, mean {statistics.mean(latencies) if latencies else float('nan'):.2f} s")
        if args.steps:
            for label, probes in (("idle", idle), (f"under {args.load_rate:g} orders/s", loaded)):
                print_probe_steps(label, probes, erp)
                print_unseen_probes(label, probes, erp)
    finally:
        meter.stop()
        sweeper.stopped.set()
        stop_processes([*processes, sandbox] if sandbox else processes)


if __name__ == "__main__":
    main()
