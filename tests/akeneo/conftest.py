import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.test import override_settings

from integrations.akeneo.services import import_csv_export

DEMO_EXPORT = Path(settings.BASE_DIR) / "demo" / "akeneo" / "icecat_demo_dev"
REFERENCE_FILES = (
    "channels.csv",
    "categories.csv",
    "attributes.csv",
    "attribute_options.csv",
    "families.csv",
    "family_variants.csv",
)


@pytest.fixture
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def demo_copy(tmp_path):
    """A writable copy of the demo export, for tests that change a file."""
    target = tmp_path / "export"
    shutil.copytree(DEMO_EXPORT, target)
    return target


@pytest.fixture
def small_export(tmp_path):
    """An export with the demo's reference data and a products.csv the test writes."""
    target = tmp_path / "small"
    target.mkdir()
    for name in REFERENCE_FILES:
        shutil.copyfile(DEMO_EXPORT / name, target / name)
    return target


def write_products(folder, lines, encoding="utf-8", newline="\n", bom=False):
    header = "sku;categories;enabled;family;parent;groups;name;ean;price-EUR;price-USD;weight;weight-unit;optical_zoom;response_time;color_scanning;release_date-ecommerce;sensor_type;multifunctional_functions;description-en_US-ecommerce;description-de_DE-ecommerce"
    text = newline.join([header, *lines]) + newline
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    (folder / "products.csv").write_bytes(data)


def product_line(sku, **cells):
    columns = ["categories", "enabled", "family", "parent", "groups", "name", "ean", "price-EUR", "price-USD", "weight", "weight-unit", "optical_zoom", "response_time", "color_scanning", "release_date-ecommerce", "sensor_type", "multifunctional_functions", "description-en_US-ecommerce", "description-de_DE-ecommerce"]
    defaults = {"categories": "cameras", "enabled": "1", "family": "camcorders", "name": f"Camera {sku}"}
    values = {**defaults, **cells}
    return ";".join([sku, *(values.get(column.replace("-", "_"), values.get(column, "")) for column in columns)])


@pytest.fixture(scope="module")
def demo_catalog(django_db_setup, django_db_blocker, tmp_path_factory):
    """Import the demo export once per test module, inside a transaction rolled back at the end.

    Each test that uses it runs in its own savepoint within that transaction (pytest-django's
    `db`), so a test that changes the catalog sees its changes rolled back like any other test,
    and the next test sees the demo catalog as imported. Tests in other modules never see it.
    """
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media"))
    media.enable()
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            stats = import_csv_export(DEMO_EXPORT)
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            media.disable()
            raise

    yield stats

    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)
    media.disable()


@pytest.fixture
def demo_import(demo_catalog, db):
    """The stats of the demo import shared by the module; the catalog is in the test database."""
    return demo_catalog
