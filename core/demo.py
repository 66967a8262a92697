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


def prepare_demo(stdout):
    for step in DEMO_STEPS:
        step(stdout=stdout)
