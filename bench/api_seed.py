"""Fill a benchmark database with a synthetic catalog for the REST API benchmark.

Writes N products with bulk_create: a third are simple products, the rest variants of product
models with three colours each. Every product gets a German and an English name, a price, a
stock level and a category from a 10 x 10 tree; models carry a brand and a localized,
channel-scoped teaser. The database must exist and be migrated; its catalog is replaced.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kontor_api_bench SECRET_KEY=bench \
        .venv/bin/python bench/api_seed.py --products 100000

Prints the API token of the benchmark client as the last line.
"""

import argparse
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from tqdm import tqdm  # noqa: E402

from apiclients.models import ApiClient, IdempotencyRecord  # noqa: E402
from apiclients.services import create_client  # noqa: E402
from catalog.models import (  # noqa: E402
    Attribute,
    AttributeOption,
    AttributeType,
    AttributeValue,
    Category,
    Channel,
    Price,
    PriceList,
    Product,
    ProductModel,
    ProductTranslation,
    ProductType,
    StockLevel,
    VariantAxis,
    VariantScheme,
    Warehouse,
)

BATCH = 5000
COLORS = ["black", "white", "red", "blue", "green", "silver", "gold", "grey"]
VARIANTS_PER_MODEL = 3


def reset():
    tables = [model._meta.db_table for model in (IdempotencyRecord, ApiClient, StockLevel, Price, AttributeValue, ProductTranslation, Product, ProductModel, VariantAxis, VariantScheme, ProductType, AttributeOption, Attribute, Category, Channel, PriceList, Warehouse)]
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE")


def reference_data():
    channel = Channel.objects.create(code="web-de", name="Web DE", locales=["de_DE", "en_GB"], currencies=["EUR"])
    price_list = PriceList.objects.create(code="retail", name="Retail")
    warehouse = Warehouse.objects.create(code="main", name="Main")
    leaves = []
    for root_index in range(10):
        root = Category.objects.create(code=f"dept-{root_index}", labels={"de_DE": f"Abteilung {root_index}", "en_GB": f"Department {root_index}"})
        for child_index in range(10):
            leaves.append(Category.objects.create(code=f"dept-{root_index}-{child_index}", parent=root, labels={"de_DE": f"Regal {root_index}.{child_index}"}))
    color = Attribute.objects.create(code="color", type=AttributeType.SINGLE_SELECT, labels={"de_DE": "Farbe", "en_GB": "Colour"})
    options = [AttributeOption.objects.create(attribute=color, code=code, labels={"en_GB": code.title()}) for code in COLORS]
    brand = Attribute.objects.create(code="brand", type=AttributeType.TEXT, labels={"en_GB": "Brand"})
    teaser = Attribute.objects.create(code="teaser", type=AttributeType.TEXT, localizable=True, scopable=True, labels={"de_DE": "Kurztext"})
    product_type = ProductType.objects.create(code="gadget")
    scheme = VariantScheme.objects.create(code="gadget_by_color", product_type=product_type)
    VariantAxis.objects.create(scheme=scheme, level=1, attribute=color)
    return channel, price_list, warehouse, leaves, options, brand, teaser, product_type, scheme, color


def seed(total):
    channel, price_list, warehouse, leaves, options, brand, teaser, product_type, scheme, color = reference_data()
    model_count = (total * 2 // 3) // VARIANTS_PER_MODEL

    models = ProductModel.objects.bulk_create(
        [ProductModel(code=f"M{index:06d}", product_type=product_type, variant_scheme=scheme) for index in range(model_count)], batch_size=BATCH
    )
    ModelCategory = ProductModel.categories.through
    ModelCategory.objects.bulk_create([ModelCategory(productmodel_id=model.pk, category_id=leaves[index % len(leaves)].pk) for index, model in enumerate(models)], batch_size=BATCH)
    model_values = []
    for index, model in enumerate(models):
        model_values.append(AttributeValue(product_model=model, attribute=brand, text_value=f"Brand {index % 50}"))
        model_values.append(AttributeValue(product_model=model, attribute=teaser, locale="de_DE", channel=channel.code, text_value=f"Kurztext {index}"))
        model_values.append(AttributeValue(product_model=model, attribute=teaser, locale="en_GB", channel=channel.code, text_value=f"Teaser {index}"))
    AttributeValue.objects.bulk_create(model_values, batch_size=BATCH)

    ProductCategory = Product.categories.through
    progress = tqdm(total=total, unit="products", desc="seeding")
    number = 0
    while number < total:
        size = min(BATCH, total - number)
        with transaction.atomic():
            batch = []
            for offset in range(size):
                index = number + offset
                if index < model_count * VARIANTS_PER_MODEL:
                    batch.append(Product(sku=f"V{index:07d}", product_type=product_type, parent=models[index // VARIANTS_PER_MODEL]))
                else:
                    batch.append(Product(sku=f"S{index:07d}", product_type=product_type))
            products = Product.objects.bulk_create(batch)
            rows_translation, rows_value, rows_price, rows_stock, rows_category = [], [], [], [], []
            for product in products:
                index = int(product.sku[1:])
                rows_translation.append(ProductTranslation(product=product, locale="de_DE", name=f"Gerät {index}", description="Beschreibung"))
                rows_translation.append(ProductTranslation(product=product, locale="en_GB", name=f"Gadget {index}", description="Description"))
                if product.parent_id:
                    rows_value.append(AttributeValue(product=product, attribute=color, option=options[index % len(options)]))
                else:
                    rows_value.append(AttributeValue(product=product, attribute=brand, text_value=f"Brand {index % 50}"))
                    rows_category.append(ProductCategory(product_id=product.pk, category_id=leaves[index % len(leaves)].pk))
                rows_price.append(Price(product=product, price_list=price_list, currency="EUR", amount=Decimal(5 + index % 500) + Decimal("0.99")))
                rows_stock.append(StockLevel(product=product, warehouse=warehouse, on_hand=Decimal(index % 7)))
            ProductTranslation.objects.bulk_create(rows_translation)
            AttributeValue.objects.bulk_create(rows_value)
            Price.objects.bulk_create(rows_price)
            StockLevel.objects.bulk_create(rows_stock)
            ProductCategory.objects.bulk_create(rows_category)
        number += size
        progress.update(size)
    progress.close()

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    _client, token = create_client(
        name="Benchmark", channel=channel, scopes=["catalog:read"], actor="bench", price_list=price_list, throttle_rate="100000000/min"
    )
    return token


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    args = parser.parse_args()
    started = time.monotonic()
    reset()
    token = seed(args.products)
    print(f"seeded {args.products} products in {time.monotonic() - started:.0f} s", file=sys.stderr)
    print(token)


if __name__ == "__main__":
    main()
