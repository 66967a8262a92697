"""Count the database statements Kontor itself runs, leaving out the in-process sandbox's.

The tests route Odoo's HTTP calls into the sandbox views of the same process, which keep their
records in the same database. A statement run while such a request is handled belongs to the
simulated Odoo, not to Kontor, so it is not counted.
"""

from contextlib import contextmanager

from django.core.signals import request_finished, request_started
from django.db import connection


class KontorQueries:
    def __init__(self):
        self.statements = []
        self._in_request = 0

    def __len__(self):
        return len(self.statements)

    def _started(self, **_kwargs):
        self._in_request += 1

    def _finished(self, **_kwargs):
        self._in_request -= 1

    def __call__(self, execute, sql, params, many, context):
        if not self._in_request:
            self.statements.append(sql)
        return execute(sql, params, many, context)


@contextmanager
def kontor_queries():
    """Yield a list-like of the SQL statements Kontor runs inside the block."""
    counter = KontorQueries()
    request_started.connect(counter._started)
    request_finished.connect(counter._finished)
    try:
        with connection.execute_wrapper(counter):
            yield counter
    finally:
        request_started.disconnect(counter._started)
        request_finished.disconnect(counter._finished)
