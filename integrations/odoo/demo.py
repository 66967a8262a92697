"""The shop + ERP part of `make run`: sandbox Shopware and Odoo connections, wired and running.

Creates the connections to Kontor's own /sandbox/shopware/ and /sandbox/odoo/ (a Shopware
connection that exists already is used), gives every catalog product a stock quantity in the
sandbox Odoo, sets the routes and leading systems of the pair, queues the catalog push to the
shop and schedules the Odoo poll loop and the shop's order stream. Orders then flow to Odoo and
stock flows back, visible under Integrations in the admin. Steps whose data exists are skipped.
"""

import hashlib
import os

from django.conf import settings

from integrations.models import Connection

SLUG = "odoo-sandbox"

# Stock a product gets in the sandbox Odoo: 20 to 119 units, the same for a SKU on every run.
MIN_STOCK = 20
STOCK_SPREAD = 100


def demo_quantity(sku):
    return MIN_STOCK + int(hashlib.sha256(sku.encode()).hexdigest(), 16) % STOCK_SPREAD


def kontor_address():
    return os.environ.get("KONTOR_ADDRESS", "127.0.0.1:8000")


def sandbox_base_url():
    return f"http://{kontor_address()}/sandbox/odoo"


def follow_address(connection, base_url):
    """Point a demo sandbox connection at this run's address, which may differ from the last run's."""
    if connection.base_url != base_url:
        connection.base_url = base_url
        connection.save()


def ensure_odoo_connection():
    from integrations.sandbox.odoo import seed

    connection = Connection.objects.filter(slug=SLUG).first()
    if connection is not None:
        follow_address(connection, sandbox_base_url())
        return connection, False
    connection = Connection(kind="odoo", name="Odoo (sandbox)", slug=SLUG, base_url=sandbox_base_url(), rate_limit_per_second=200, rate_limit_burst=200)
    connection.set_credentials({
        "database": seed.DEFAULT_DATABASE,
        "login": seed.DEFAULT_LOGIN,
        "api_key": seed.DEFAULT_API_KEY,
        "version": seed.DEFAULT_VERSION,
    })
    connection.save()
    return connection, True


def stock_sandbox_odoo(stdout):
    """Give every catalog product a quantity in the sandbox Odoo; return how many were added."""
    from catalog.models import Product
    from integrations.sandbox.odoo import seed

    added = 0
    for product in Product.objects.filter(is_deleted=False).prefetch_related("translations").order_by("sku"):
        if seed.product_by_sku(product.sku) is None:
            seed.add_product(product.sku, product.name() or product.sku, quantity=demo_quantity(product.sku))
            added += 1
    return added


def count_stocked_in_odoo():
    """Count the catalog products that have units on hand in the sandbox Odoo.

    Counted from the sandbox's records rather than from this run's additions, because a restart
    adds none, and because the order stream lowers the stock the demo gave.
    """
    from catalog.models import Product
    from integrations.sandbox import store
    from integrations.sandbox.odoo.records import SYSTEM

    skus = Product.objects.filter(is_deleted=False).values_list("sku", flat=True)
    product_ids = {row.data["id"] for row in store.rows(SYSTEM, "product.product").filter(natural_key__in=skus)}
    quants = store.rows(SYSTEM, "stock.quant").values_list("data", flat=True)
    stocked = {quant["product_id"] for quant in quants if quant["product_id"] in product_ids and quant["quantity"] > 0}
    return len(stocked)


SHOP_SLUG = "shopware-sandbox"
SHOP_EVENTS = ("checkout.order.placed", "state_enter.order.state.cancelled")

# The demo order stream: invoices replayed per second, and how many one stream task places
# before the next scheduled one takes over (below the master lane's task timeout).
STREAM_RATE = 1.0
STREAM_COUNT = 1200


def ensure_shop_connection():
    """Create the sandbox Shopware connection and register Kontor's webhook URL in the sandbox shop."""
    from integrations.sandbox.shopware import state

    address = kontor_address()
    base_url = f"http://{address}/sandbox/shopware"
    hook = f"http://{address}/hooks/{SHOP_SLUG}/"
    # The shop's own address too: its webhooks name it as their source.
    webhooks = {"shopUrl": base_url, "webhooks": [{"name": event, "eventName": event, "url": hook} for event in SHOP_EVENTS]}

    connection = Connection.objects.filter(kind="shopware").order_by("pk").first()
    if connection is not None:
        if connection.slug == SHOP_SLUG:
            follow_address(connection, base_url)
            state.update_settings(webhooks)
        return connection, False
    connection = Connection(kind="shopware", name="Shopware (sandbox)", slug=SHOP_SLUG, base_url=base_url, rate_limit_per_second=200, rate_limit_burst=200)
    connection.set_credentials({
        "access_key_id": state.DEFAULT_ACCESS_KEY,
        "secret_access_key": state.DEFAULT_SECRET_ACCESS_KEY,
        "shop_secret": state.DEFAULT_SHOP_SECRET,
    })
    connection.save()
    state.update_settings(webhooks)
    return connection, True


def run_order_stream(rate=STREAM_RATE, count=STREAM_COUNT):
    """Master-lane task: replay invoices in the sandbox shop; the schedule starts the next run."""
    from integrations.sandbox.shopware import stream

    return stream.run(rate, count=count)


def schedule_demo_tasks(shop):
    from django.utils import timezone
    from django_q.models import Schedule
    from django_q.tasks import async_task

    async_task("integrations.shopware.tasks.push_catalog", shop.pk, cluster="master")
    # The stream starts at once on every start, because stopping Kontor ends a running stream
    # while its schedule already points at the next run, up to 21 minutes later.
    Schedule.objects.update_or_create(
        name="sandbox order stream",
        defaults={
            "func": "integrations.odoo.demo.run_order_stream",
            "schedule_type": Schedule.MINUTES,
            "minutes": int(STREAM_COUNT / STREAM_RATE / 60) + 1,
            "repeats": -1,
            "cluster": "master",
            "next_run": timezone.now(),
        },
    )


def prepare_odoo_demo(stdout):
    if not settings.SANDBOX_ENABLED:
        stdout.write("Sandbox is off: the Odoo demo connection is not created.\n")
        return
    from integrations.odoo.routes import set_up_shop_and_erp
    from integrations.odoo.tasks import schedule_pollers

    erp, created = ensure_odoo_connection()
    added = stock_sandbox_odoo(stdout)
    shop, _shop_created = ensure_shop_connection()
    set_up_shop_and_erp(shop, erp)
    schedule_pollers()
    schedule_demo_tasks(shop)
    stdout.write(
        f"Shop and ERP sandbox: Odoo connection {'created' if created else 'present'}, "
        f"{count_stocked_in_odoo()} catalog products stocked in Odoo ({added} added in this run), "
        f"routed with {shop.name}; the catalog push and the order stream "
        f"({STREAM_RATE:g} invoice/s) start with the lanes.\n"
    )
