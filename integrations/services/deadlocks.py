"""Retry of a unit of work that PostgreSQL aborted as a deadlock victim or a serialization failure.

Such an abort does not mean the data is wrong, because the same work succeeds once the other
transaction has finished. Without a retry it would end as a permanent failure, because the inbox and the outbox
retry only connector errors.
"""

import logging

from django.db import OperationalError, transaction

logger = logging.getLogger(__name__)

# SQLSTATE of deadlock_detected and serialization_failure.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
ATTEMPTS = 3


def is_retryable(error):
    return getattr(error.__cause__, "sqlstate", None) in RETRYABLE_SQLSTATES


def run_retrying_deadlocks(work, *, attempts=ATTEMPTS):
    """Run `work()` in a savepoint and run it again after a deadlock, up to `attempts` times.

    Rolling back to the savepoint releases the locks the work took, so the other transaction
    can finish. Locks taken before the call (such as the inbox's lock on its event) are kept.
    """
    for attempt in range(1, attempts + 1):
        try:
            with transaction.atomic():
                return work()
        except OperationalError as error:
            if attempt == attempts or not is_retryable(error):
                raise
            logger.warning("database deadlock, running the work again", extra={"attempt": attempt, "sqlstate": error.__cause__.sqlstate})
    return None
