"""The record store every simulated system keeps its state in.

Records are JSON documents keyed by (system, collection, record id). Writes lock the row, so
two requests writing the same id at once leave one record with the later write applied.
"""

import json

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from integrations.sandbox.models import SandboxRecord


def get(system, collection, record_id):
    """Return the data of one record, or None."""
    record = SandboxRecord.objects.filter(system=system, collection=collection, record_id=record_id).first()
    return None if record is None else record.data


def get_row(system, collection, record_id, *, lock=False):
    rows = SandboxRecord.objects.filter(system=system, collection=collection, record_id=record_id)
    if lock:
        rows = rows.select_for_update()
    return rows.first()


def find_by_natural_key(system, collection, natural_key):
    """Return the row whose natural key is `natural_key`, or None."""
    return SandboxRecord.objects.filter(system=system, collection=collection, natural_key=natural_key).first()


def rows(system, collection):
    return SandboxRecord.objects.filter(system=system, collection=collection)


def put(system, collection, record_id, data, *, natural_key="", now=None):
    """Create or replace a record; return (row, created).

    A new record gets created_at and no updated_at; a replaced one gets updated_at, so delta
    filters see both kinds of change. Runs in a transaction with the row locked.
    """
    now = now or timezone.now()
    with transaction.atomic():
        row = get_row(system, collection, record_id, lock=True)
        if row is None:
            try:
                with transaction.atomic():
                    row = SandboxRecord.objects.create(
                        system=system,
                        collection=collection,
                        record_id=record_id,
                        natural_key=natural_key or "",
                        data=data,
                        created_at=now,
                        changed_at=now,
                    )
                return row, True
            except IntegrityError:
                # Another request created the same id a moment ago; update that row instead.
                row = get_row(system, collection, record_id, lock=True)

        row.data = data
        row.natural_key = natural_key or ""
        row.updated_at = now
        row.changed_at = now
        row.save(update_fields=["data", "natural_key", "updated_at", "changed_at"])
    return row, False


def delete(system, collection, record_id):
    """Delete one record; return True if it existed."""
    deleted, _ = SandboxRecord.objects.filter(system=system, collection=collection, record_id=record_id).delete()
    return bool(deleted)


def next_number(system, name, start=10000):
    """Return the next value of a named counter (order numbers), safe across processes."""
    return next_numbers(system, name, 1, start=start)[0]


def next_numbers(system, name, count, start=10000):
    """Return the next `count` values of a named counter with one locked update, safe across processes."""
    if count <= 0:
        return []
    with transaction.atomic():
        row = get_row(system, "_counter", name, lock=True)
        if row is None:
            # Not put(), because put would overwrite the value of a request that created the
            # counter at the same moment with `start`, and both requests would get the same number.
            try:
                with transaction.atomic():
                    now = timezone.now()
                    SandboxRecord.objects.create(
                        system=system, collection="_counter", record_id=name, data={"value": start}, created_at=now, changed_at=now
                    )
            except IntegrityError:
                pass
            row = get_row(system, "_counter", name, lock=True)
        first = int(row.data["value"]) + 1
        row.data = {"value": first + count - 1}
        row.save(update_fields=["data"])
    return list(range(first, first + count))


def insert_many(system, collection, records, *, now=None):
    """Store many new records with one INSERT; `records` is [(record id, data, natural key)].

    Only for ids that no stored record can have yet (fresh counter values or random ids),
    because, unlike put, it replaces no existing row.
    """
    records = list(records)
    if not records:
        return
    now = now or timezone.now()
    if connection.vendor != "postgresql":
        SandboxRecord.objects.bulk_create(
            SandboxRecord(
                system=system, collection=collection, record_id=record_id, natural_key=natural_key or "",
                data=data, created_at=now, changed_at=now,
            )
            for record_id, data, natural_key in records
        )
        return
    # Plain VALUES rows, not Django's bulk_create: on PostgreSQL that sends the JSON as an array
    # literal (UNNEST), which psycopg's client-side binding escapes quote by quote in Python.
    table = SandboxRecord._meta.db_table
    rows_sql = ", ".join(["(%s, %s, %s, %s, %s::jsonb, %s, %s)"] * len(records))
    params = []
    for record_id, data, natural_key in records:
        params.extend((system, collection, record_id, natural_key or "", json.dumps(data), now, now))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (system, collection, record_id, natural_key, data, created_at, changed_at) VALUES {rows_sql}",
            params,
        )


def update_rows(rows, *, now=None):
    """Save the changed data and natural keys of rows locked by this transaction with one UPDATE."""
    rows = list(rows)
    if not rows:
        return
    now = now or timezone.now()
    for row in rows:
        row.updated_at = now
        row.changed_at = now
    if connection.vendor != "postgresql":
        SandboxRecord.objects.bulk_update(rows, ["data", "natural_key", "updated_at", "changed_at"])
        return
    _update_by_id(rows, with_keys=True, now=now)


def update_data(rows):
    """Save the changed data of rows locked by this transaction with one UPDATE, times untouched.

    It is for changes that the simulated system does not report as a change, such as a sale
    lowering a Shopware product's stock.
    """
    rows = list(rows)
    if not rows:
        return
    if connection.vendor != "postgresql":
        SandboxRecord.objects.bulk_update(rows, ["data"])
        return
    _update_by_id(rows, with_keys=False)


def _update_by_id(rows, *, with_keys, now=None):
    # One UPDATE ... FROM (VALUES ...) by primary key. Django's bulk_update builds a CASE WHEN
    # per row and column, which costs more CPU than the write itself for a few dozen rows.
    table = SandboxRecord._meta.db_table
    params = []
    if with_keys:
        row_sql = "(%s::bigint, %s::jsonb, %s, %s::timestamptz)"
        for row in rows:
            params.extend((row.pk, json.dumps(row.data), row.natural_key or "", now))
        sql = (
            f"UPDATE {table} AS r SET data = v.data, natural_key = v.natural_key, updated_at = v.changed_at, changed_at = v.changed_at "
            f"FROM (VALUES {', '.join([row_sql] * len(rows))}) AS v(id, data, natural_key, changed_at) WHERE r.id = v.id"
        )
    else:
        row_sql = "(%s::bigint, %s::jsonb)"
        for row in rows:
            params.extend((row.pk, json.dumps(row.data)))
        sql = f"UPDATE {table} AS r SET data = v.data FROM (VALUES {', '.join([row_sql] * len(rows))}) AS v(id, data) WHERE r.id = v.id"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def reset(system):
    """Delete every record of a system (fault settings and deliveries stay)."""
    deleted, _ = SandboxRecord.objects.filter(system=system).delete()
    return deleted
