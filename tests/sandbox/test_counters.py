"""The sandbox's counters (record ids, order numbers) never hand out a value twice."""

import threading

import pytest
from django.db import connection as db_connection
from django.db import transaction

from integrations.sandbox import store


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_new_counter_unique_values():
    # Given one transaction that creates the counter and keeps its row locked, uncommitted
    created = threading.Event()
    values = {}

    def first():
        try:
            with transaction.atomic():
                values["first"] = store.next_number("odoo", "id:sale.order", start=0)
                created.set()
                # Long enough for the second caller to reach its insert and wait on this row.
                threading.Event().wait(1.0)
        finally:
            db_connection.close()

    def second():
        try:
            created.wait(30)
            values["second"] = store.next_number("odoo", "id:sale.order", start=0)
        finally:
            db_connection.close()

    # When a second caller takes a number from the same new counter meanwhile
    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # Then each gets its own number, and the counter is at the higher one
    assert values == {"first": 1, "second": 2}
    assert store.get("odoo", "_counter", "id:sale.order") == {"value": 2}


@pytest.mark.django_db
def test_counter_counts_from_start():
    numbers = [store.next_number("shopware", "order_number", start=10000) for _ in range(3)]

    assert numbers == [10001, 10002, 10003]
