"""Benchmark: import the Akeneo demo catalog scaled to N products into PostgreSQL.

Generates exports of each size in a temporary folder (never in the repository) by repeating
the demo's products with new SKUs. Each is imported into an emptied catalog in a fresh
process, so the peak resident memory (ru_maxrss) belongs to that import alone. Reports
products per second for the first import and for a second, unchanged import, and the CPU
time of the importing process (PostgreSQL's own work is not in it).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kontor_akeneo_bench \
        .venv/bin/python bench/import_catalog.py --sizes 10000 50000 100000

The database must exist and be migrated; the benchmark deletes its catalog and bindings.
"""

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEMO = BASE_DIR / "demo" / "akeneo" / "icecat_demo_dev"
REFERENCE_FILES = ("channels.csv", "categories.csv", "attributes.csv", "attribute_options.csv", "families.csv", "family_variants.csv", "product_models.csv")


def generate(size, folder):
    """Write an export with `size` products: the demo's rows repeated under new SKUs."""
    folder.mkdir(parents=True)
    for name in REFERENCE_FILES:
        (folder / name).write_bytes((DEMO / name).read_bytes())
    with (DEMO / "products.csv").open(newline="", encoding="utf-8") as source:
        reader = csv.reader(source, delimiter=";")
        header = next(reader)
        rows = list(reader)
    sku, ean = header.index("sku"), header.index("ean")
    with (folder / "products.csv").open("w", newline="", encoding="utf-8") as target:
        writer = csv.writer(target, delimiter=";", lineterminator="\n")
        writer.writerow(header)
        for number in range(size):
            copy, row = divmod(number, len(rows))
            values = list(rows[row])
            if copy:
                values[sku] = f"{values[sku]}-{copy}"
                # A GTIN belongs to one product, so copies carry none.
                values[ean] = ""
            writer.writerow(values)


def import_once(folder):
    """Run in a child process: import `folder` and print timings as JSON."""
    import django

    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from integrations.akeneo.services import import_csv_export

    started = time.perf_counter()
    cpu_started = time.process_time()
    stats = import_csv_export(folder)
    seconds = time.perf_counter() - started
    print(json.dumps({
        "seconds": seconds,
        "cpu_seconds": time.process_time() - cpu_started,
        "products": stats.counts["products"],
        "failed": stats.failed,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


def empty_catalog():
    code = (
        "from catalog.models import *; from integrations.models import *;"
        "Price.objects.all().delete(); ProductMedia.objects.all().delete(); AttributeValue.objects.all().delete();"
        "ProductTranslation.objects.all().delete(); Product.objects.all().delete(); ProductModel.objects.all().delete();"
        "Binding.objects.all().delete(); SyncError.objects.all().delete(); SyncRun.objects.all().delete()"
    )
    subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=BASE_DIR, check=True, capture_output=True)


def run_child(folder):
    result = subprocess.run([sys.executable, __file__, "--child", str(folder)], cwd=BASE_DIR, check=True, capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 50000, 100000], help="Numbers of products to import.")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        import_once(Path(options.child))
        return

    with tempfile.TemporaryDirectory(prefix="kontor-bench-") as temp:
        print(f"{'products':>9} {'first s':>8} {'first/s':>8} {'cpu s':>6} {'again s':>8} {'again/s':>8} {'max RSS MB':>11}")
        for size in options.sizes:
            folder = Path(temp) / f"export-{size}"
            generate(size, folder)
            empty_catalog()
            first = run_child(folder)
            again = run_child(folder)
            assert first["failed"] == 0, first
            assert first["products"]["created"] == size, first
            assert again["products"]["unchanged"] == size, again
            print(
                f"{size:>9} {first['seconds']:>8.1f} {size / first['seconds']:>8.0f} {first['cpu_seconds']:>6.1f} {again['seconds']:>8.1f} "
                f"{size / again['seconds']:>8.0f} {max(first['max_rss_mb'], again['max_rss_mb']):>11.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
