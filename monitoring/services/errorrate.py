"""The error rate of one connection over a time window: items that failed of items attempted.

This is the one definition of the rate; the error-rate alert rule and anything that shows an
error rate read it here.

- Failed: sync errors recorded in the window, resolved since or not. An import warning is left
  out: it dropped one value and kept its record, so the item did not fail.
- Attempted: items read or pushed by sync runs that were running during the window (pulls,
  catalog pushes, imports), webhook events received in the window, and outbound messages that
  were first tried or delivered in the window. Pulled events are left out, because their run
  counts them as read already.

NOTE: a push run of the sync command sends outbox messages, so those are counted by the run
and again as outbound messages. This only makes the rate lower during such a manual push.
NOTE: first_attempt_at and delivered_at have no index, so the outbound count reads all of the
connection's messages, each minute for each error-rate rule. An index on each would bound it.
"""

from dataclasses import dataclass

from django.db.models import Q, Sum

from integrations.models import (
    InboundEvent,
    InboundSource,
    OutboundMessage,
    SyncError,
    SyncRun,
)


@dataclass(frozen=True)
class ErrorRate:
    failed: int
    attempted: int

    @property
    def items(self):
        # A failed pull page has no item of its own, so failed items may outnumber attempted
        # ones. The rate then stays at 100 %.
        return max(self.attempted, self.failed)

    @property
    def percent(self):
        return 100.0 * self.failed / max(self.items, 1)


def failed_items(connection, since, now):
    """Return the sync errors recorded for `connection` in (since, now], warnings left out."""
    return SyncError.objects.problems().filter(connection=connection, created_at__gt=since, created_at__lte=now)


def attempted_items(connection, since, now):
    """Return how many items `connection` read, received or sent in (since, now]."""
    runs = SyncRun.objects.filter(connection=connection, started_at__lte=now).filter(
        Q(finished_at__isnull=True) | Q(finished_at__gt=since)
    )
    read = runs.aggregate(total=Sum("read_count"))["total"] or 0
    webhooks = InboundEvent.objects.filter(
        connection=connection, source=InboundSource.WEBHOOK, received_at__gt=since, received_at__lte=now
    ).count()
    sent = OutboundMessage.objects.filter(connection=connection).filter(
        Q(first_attempt_at__gt=since, first_attempt_at__lte=now) | Q(delivered_at__gt=since, delivered_at__lte=now)
    ).count()
    return read + webhooks + sent


def error_rate(connection, since, now):
    """Return the ErrorRate of `connection` in the window (since, now]."""
    return ErrorRate(failed=failed_items(connection, since, now).count(), attempted=attempted_items(connection, since, now))
