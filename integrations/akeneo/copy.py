"""Fast bulk inserts: PostgreSQL COPY when available, Django's bulk_create otherwise.

COPY skips building a model instance per row, which is most of the cost of inserting the
hundreds of thousands of attribute values of a large catalog. SQLite (the embedded default)
takes the bulk_create path.
"""

import json

from django.db import connection

BULK_CREATE_BATCH = 2000


def insert_rows(model, fields, rows):
    """Insert `rows` (tuples in the order of `fields`, using column names such as product_id)."""
    rows = list(rows)
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**dict(zip(fields, row, strict=True))) for row in rows], batch_size=BULK_CREATE_BATCH)
        return

    json_columns = {index for index, name in enumerate(fields) if model._meta.get_field(name).get_internal_type() == "JSONField"}
    columns = ", ".join(connection.ops.quote_name(model._meta.get_field(name).column) for name in fields)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                if json_columns:
                    row = tuple(json.dumps(value) if index in json_columns and value is not None else value for index, value in enumerate(row))
                copy.write_row(row)
