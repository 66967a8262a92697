"""Raw UPDATE statements that give each row its own value, for the hot paths that write many rows.

Django's bulk_update and an update() with Case/When also write many rows in one statement, but
they build a CASE expression with one WHEN per row. For a batch of stock levels or outbox
messages, building it costs more Python time than running the statement. These statements join the
table to a VALUES list instead. They run on PostgreSQL and on SQLite 3.35 or newer (the
embedded default), which both support UPDATE ... FROM and RETURNING.
"""

from django.db import connection as db_connection


def update_rows(model, rows, set_clause, *, set_params=(), condition="", condition_params=(), returning=False):
    """Update the rows of `model` named by `rows` in one statement; return the ids updated when `returning`.

    `rows` is a list of tuples (id, value, ...), all of one length. In `set_clause` and
    `condition`, the row's values are v.column2, v.column3 and so on, and the table's own
    columns are named without a table prefix in SET, or as t.<column> in the condition. Rows
    that the condition leaves out are not updated.
    """
    if not rows:
        return set() if returning else None
    table = db_connection.ops.quote_name(model._meta.db_table)
    row_sql = "(" + ", ".join(["%s"] * len(rows[0])) + ")"
    values_sql = ", ".join([row_sql] * len(rows))
    where = "t.id = v.column1" + (f" AND ({condition})" if condition else "")
    sql = f"UPDATE {table} AS t SET {set_clause} FROM (VALUES {values_sql}) AS v WHERE {where}"
    if returning:
        sql += " RETURNING id"
    params = [*set_params, *(value for row in rows for value in row), *condition_params]
    with db_connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()} if returning else None


def json_from_text(expression):
    """Return SQL that reads `expression`, JSON text such as a value of update_rows, as the JSON column type."""
    return f"CAST({expression} AS jsonb)" if db_connection.vendor == "postgresql" else expression


def least():
    """Return the name of the SQL function that returns the smallest of its arguments."""
    return "LEAST" if db_connection.vendor == "postgresql" else "MIN"


def greatest():
    """Return the name of the SQL function that returns the largest of its arguments."""
    return "GREATEST" if db_connection.vendor == "postgresql" else "MAX"
