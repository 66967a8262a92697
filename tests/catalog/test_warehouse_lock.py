import threading

import pytest
from django.db import OperationalError, transaction
from django.db import connection as db_connection

from catalog.models import Warehouse
from catalog.services.availability import lock_warehouses


def try_lock_in_thread(warehouse_pk):
    """Try to lock a warehouse row from another connection without waiting; return the outcome."""
    outcome = {}

    def run():
        try:
            with transaction.atomic():
                Warehouse.objects.select_for_update(nowait=True).filter(pk=warehouse_pk).exists()
            outcome["locked"] = True
        except OperationalError:
            outcome["locked"] = False
        finally:
            db_connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    return outcome["locked"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_warehouses_stay_locked_until_commit():
    first = Warehouse.objects.create(code="W1", name="W1")
    second = Warehouse.objects.create(code="W2", name="W2")

    with transaction.atomic():
        lock_warehouses()
        while_held = [try_lock_in_thread(first.pk), try_lock_in_thread(second.pk)]
    after_commit = try_lock_in_thread(first.pk)

    assert while_held == [False, False]
    assert after_commit is True
