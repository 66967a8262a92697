"""Demo data for `make run`: each step is skipped when its data is already there."""

# Steps that connectors add to the demo, in order. Each is a callable taking `stdout`.
DEMO_STEPS = []


def import_akeneo_demo_catalog(stdout):
    # Imported here, because the module needs the app registry, which is ready only at call time.
    from integrations.akeneo.demo import import_demo_catalog

    import_demo_catalog(stdout)


DEMO_STEPS.append(import_akeneo_demo_catalog)


def prepare_shop_and_erp_demo(stdout):
    from integrations.odoo.demo import prepare_odoo_demo

    prepare_odoo_demo(stdout)


DEMO_STEPS.append(prepare_shop_and_erp_demo)


def give_shop_channel_currencies(stdout):
    """Give the sandbox shop's sales channel the shop's currencies, so it rejects orders in others.

    The web server that serves the sandbox shop starts after the demo steps, so the connector
    cannot read the currencies over HTTP yet, and they are read from the sandbox's own records.
    """
    from django.conf import settings

    if not settings.SANDBOX_ENABLED:
        return
    from integrations.models import Connection
    from integrations.odoo.demo import SHOP_SLUG
    from integrations.sandbox import store
    from integrations.sandbox.shopware import state
    from integrations.shopware.inbound import channel_for

    # Another Shopware connection is a real shop, whose channel gets its currencies on first use.
    connection = Connection.objects.filter(kind="shopware", slug=SHOP_SLUG).first()
    if connection is None:
        return
    state.ensure_seeded()
    codes = [row.data["isoCode"] for row in store.rows(state.SYSTEM, "currency")]
    channel = channel_for(connection, shop_currencies=codes)
    stdout.write(f"Shop channel {channel.code} sells in {', '.join(channel.currencies)}.\n")


DEMO_STEPS.append(give_shop_channel_currencies)


def create_demo_alert_rules(stdout):
    from monitoring.demo import create_demo_alert_rules as create_rules

    create_rules(stdout)


DEMO_STEPS.append(create_demo_alert_rules)


def prepare_demo(stdout):
    for step in DEMO_STEPS:
        step(stdout=stdout)
