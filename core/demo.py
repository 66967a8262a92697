"""Demo data for `make run`: each step is skipped when its data is already there."""

# Steps that connectors add to the demo, in order. Each is a callable taking `stdout`.
DEMO_STEPS = []


def prepare_demo(stdout):
    for step in DEMO_STEPS:
        step(stdout=stdout)
