"""Trigram indexes for the API's search on product name and SKU (?q=), on PostgreSQL only.

Django's icontains becomes UPPER(column::text) LIKE UPPER('%term%'); a GIN trigram index on
that expression lets PostgreSQL answer it without reading every row. SQLite skips this.
"""

from django.db import migrations

INDEXES = [
    ("api_translation_name_trgm", "catalog_producttranslation", '(UPPER("name"::text)) gin_trgm_ops'),
    ("api_product_sku_trgm", "catalog_product", '(UPPER("sku"::text)) gin_trgm_ops'),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, expression in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression})")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _expression in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("apiclients", "0001_api_clients_and_idempotency"),
        ("catalog", "0002_stock_reservation_order_line"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
