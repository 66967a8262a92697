"""Idempotent registration of webhook subscriptions at a remote system.

A restart or redeploy calls `ensure_subscription` again. It lists what the remote has, keeps
one subscription per match key, updates it if it differs, creates it if it is missing and
deletes the duplicates, so every event is delivered once. The remote calls are injected, so
this module does no I/O of its own.
"""

import logging
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"


@dataclass
class SubscriptionResult:
    """Outcome of `ensure_subscription`: its action, the subscription kept and those deleted."""

    action: str
    subscription: dict
    deleted: list = field(default_factory=list)


def ensure_subscription(list_existing, create, update, desired, match_key, *, delete, compare_fields=None):
    """Make the remote hold exactly one subscription like `desired` for its match key.

    list_existing() returns the remote's subscriptions as dicts. create(desired) and
    update(existing, desired) return the subscription as stored; delete(existing) removes one.
    match_key is a callable on a subscription dict, or a tuple of field names such as
    ("url", "event"). compare_fields names the fields that must equal `desired`.
    The default is every field of `desired` that the remote also returns. Write-only fields
    such as a signing secret are never listed, so comparing them would force an update on
    every run.
    """
    key_of = match_key if callable(match_key) else _fields_getter(match_key)
    wanted_key = key_of(desired)
    matches = [item for item in list_existing() if key_of(item) == wanted_key]

    if not matches:
        created = create(desired)
        logger.info("Webhook subscription created", extra={"match_key": repr(wanted_key)})
        return SubscriptionResult(CREATED, created)

    # Keep one that is already current if there is one, so a clean run changes nothing.
    current = [item for item in matches if _is_current(item, desired, compare_fields)]
    keep = current[0] if current else matches[0]
    deleted = []
    for item in matches:
        if item is not keep:
            delete(item)
            deleted.append(item)
    if deleted:
        logger.warning(
            "Duplicate webhook subscriptions deleted",
            extra={"match_key": repr(wanted_key), "deleted_count": len(deleted)},
        )

    if current:
        return SubscriptionResult(UNCHANGED, keep, deleted)
    updated = update(keep, desired)
    logger.info("Webhook subscription updated", extra={"match_key": repr(wanted_key)})
    return SubscriptionResult(UPDATED, updated, deleted)


def _fields_getter(field_names):
    names = tuple(field_names)
    return lambda item: tuple(item.get(name) for name in names)


def _is_current(existing, desired, compare_fields):
    fields = compare_fields if compare_fields is not None else [k for k in desired if k in existing]
    return all(existing.get(name) == desired.get(name) for name in fields)
