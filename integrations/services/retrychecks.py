"""Checks run before a retry: whether the cause of a sync error can have gone away.

Every retry from the admin runs them through retry_sync_error_batch: the list's action, the
retry of all matching errors and the Retry button on an error's own page.

A retry puts the failed item back on its lane. When the cause lies in Kontor's own data, such
as a product without a price, the item fails the same way until someone changes that data.
Retrying a thousand such errors then only fills the lane with tasks that fail again. A check
takes the errors of one code together and returns those whose cause is still there. The retry
leaves them unqueued and shows support what to fix first.

Errors of a code without a check are retried as before. A connector app adds a check for its
own code with register_retry_check when it is ready (the Shopware app checks price_missing).
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.formats import number_format


@dataclass(frozen=True)
class RetryCheck:
    """The check of one error code.

    `find_unchanged` takes a list of unresolved sync errors of the code, each with its
    connection, outbound message and inbound event loaded, and returns the ids of those that
    would fail again. It reads what it needs for all of them with a fixed number of queries.
    `held_back_message` returns the translated message for `count` errors left unqueued.
    """

    code: str
    find_unchanged: Callable[[list], set]
    held_back_message: Callable[[int], str]


_checks = {}


def register_retry_check(code, find_unchanged, held_back_message):
    """Register the check that runs before errors of `code` are retried, replacing an earlier one."""
    _checks[code] = RetryCheck(code, find_unchanged, held_back_message)


def unchanged_errors(sync_errors):
    """Return {code: ids of the errors whose cause is still there}, for the codes that have a check."""
    by_code = defaultdict(list)
    for sync_error in sync_errors:
        if sync_error.code in _checks:
            by_code[sync_error.code].append(sync_error)

    unchanged = {}
    for code, errors in by_code.items():
        found = _checks[code].find_unchanged(errors)
        if found:
            unchanged[code] = found
    return unchanged


def held_back_messages(held_back):
    """Return the message of each check for {code: count} errors it left unqueued, in code order."""
    return [_checks[code].held_back_message(count) for code, count in sorted(held_back.items()) if count]


def format_count(count):
    """Return a count with the active language's thousands separator, as "1,040" or "1.040"."""
    return number_format(count, force_grouping=True)
