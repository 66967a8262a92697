"""Retry of a unit of work that PostgreSQL aborted as a deadlock victim or a serialization failure.

Such an abort does not mean the data is wrong, because the same work succeeds once the other
transaction has finished. Work that loses on every attempt raises DatabaseContention, a
retryable connector error, so the inbox and the outbox schedule a later retry instead of
failing the item for good.
"""

import logging

from django.db import OperationalError, transaction
from django.utils.translation import gettext_lazy as _

from integrations.errors import ConnectorError

logger = logging.getLogger(__name__)


class DatabaseContention(ConnectorError):
    """Error for work that PostgreSQL aborted as a deadlock victim on every attempt.

    Inside a batch, the locks taken before the work stay held while it runs again, so the same
    deadlock can repeat. Retried later on its own, the item no longer competes with the batch.
    """

    code = "database_contention"
    retryable = True
    message_template = _(
        "Another change to the same stock or order held Kontor's database on every attempt. "
        "Kontor retries automatically; if this error stays, contact support with the error code %(code)s."
    )

# SQLSTATE of deadlock_detected and serialization_failure.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
ATTEMPTS = 3


def is_retryable(error):
    return getattr(error.__cause__, "sqlstate", None) in RETRYABLE_SQLSTATES


def run_retrying_deadlocks(work, *, attempts=ATTEMPTS):
    """Run `work()` in a savepoint and run it again after a deadlock, up to `attempts` times.

    Rolling back to the savepoint releases the locks the work took, so the other transaction
    can finish. Locks taken before the call (such as the inbox's lock on its event) are kept.
    Raises DatabaseContention when the last attempt is aborted as well.
    """
    for attempt in range(1, attempts + 1):
        try:
            with transaction.atomic():
                return work()
        except OperationalError as error:
            if not is_retryable(error):
                raise
            if attempt == attempts:
                raise DatabaseContention(f"sqlstate {error.__cause__.sqlstate} on {attempts} attempts") from error
            logger.warning("database deadlock, running the work again", extra={"attempt": attempt, "sqlstate": error.__cause__.sqlstate})
    return None
