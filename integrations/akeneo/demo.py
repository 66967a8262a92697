"""Demo step for `make run`: import the Akeneo demo catalog shipped in demo/akeneo/."""

from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from catalog.models import Product
from integrations.akeneo.services import import_csv_export

DEMO_EXPORT = Path(settings.BASE_DIR) / "demo" / "akeneo" / "icecat_demo_dev"


def import_demo_catalog(stdout):
    """Import the demo catalog into an empty catalog; skip when products exist already."""
    if Product.objects.exists():
        stdout.write(_("Demo catalog: products exist already, import skipped") + "\n")
        return
    stdout.write(_("Demo catalog: importing the Akeneo demo export from %(path)s") % {"path": DEMO_EXPORT} + "\n")
    stats = import_csv_export(DEMO_EXPORT)
    counts = {
        "products": stats.counts["products"]["created"],
        "models": stats.counts["product_models"]["created"],
        "categories": stats.counts["categories"]["created"],
    }
    stdout.write(_("Demo catalog: %(products)s products, %(models)s product models, %(categories)s categories imported") % counts + "\n")
