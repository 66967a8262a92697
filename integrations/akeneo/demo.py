"""Demo step for `make run`: import the Akeneo demo catalog shipped in demo/akeneo/."""

from pathlib import Path

from django.conf import settings

from catalog.models import Product
from integrations.akeneo.services import import_csv_export

DEMO_EXPORT = Path(settings.BASE_DIR) / "demo" / "akeneo" / "icecat_demo_dev"


def import_demo_catalog(stdout):
    """Import the demo catalog into an empty catalog; skip when products exist already."""
    if Product.objects.exists():
        stdout.write("Demo catalog: products exist already, import skipped\n")
        return
    stdout.write(f"Demo catalog: importing the Akeneo demo export from {DEMO_EXPORT}\n")
    stats = import_csv_export(DEMO_EXPORT)
    stdout.write(
        f"Demo catalog: {stats.counts['products']['created']} products, "
        f"{stats.counts['product_models']['created']} product models, "
        f"{stats.counts['categories']['created']} categories imported\n"
    )
