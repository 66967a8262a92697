"""The READMEs and the monitoring guide use the words the admin shows."""

import re
from pathlib import Path

from django.conf import settings
from django.utils import translation

from catalog.models import ProductModel
from monitoring.services.readiness import LaneState

BASE_DIR = Path(settings.BASE_DIR)


def read_text(name):
    """Return the file's text with every run of whitespace as one space, so line breaks do not matter."""
    return " ".join((BASE_DIR / name).read_text(encoding="utf-8").split())


def test_readmes_name_product_models_as_admin():
    with translation.override("en"):
        english = str(ProductModel._meta.verbose_name_plural)
    with translation.override("de"):
        german = str(ProductModel._meta.verbose_name_plural)

    assert german == "Artikelmodelle"
    assert f"(1239 products, 81 {english}, 168 categories): Catalog → Products." in read_text("README.md")
    assert f"(1239 Artikel, 81 {german}, 168 Kategorien): Katalog → Artikel." in read_text("README.de.md")
    assert "Produktmodell" not in read_text("README.de.md")


def test_monitoring_guide_lists_lane_states():
    guide = read_text("docs/monitoring.md")
    worker_lanes = re.search(r"### Worker lanes (.*?) ## ", guide).group(1)

    with translation.override("en"):
        labels = [str(label) for label in LaneState.labels]

    assert labels == ["yes", "starting", "no"]
    for label in labels:
        assert f"- *{label}*" in worker_lanes
