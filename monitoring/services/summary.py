"""The daily summary for support staff: what failed, what was retried, what still needs a person.

Categories, over the 24 hours before `now`:
- failed: sync errors recorded in the period, per connection and error code;
- import warnings: import warnings recorded in the period, per connection and error code. A
  warning dropped one value and kept its record, so it counts neither as failed nor as needing
  a person;
- retried: items delivered or processed after more than one attempt, and sync errors that were
  resolved in the period (by a successful retry or by hand);
- needs a person: every unresolved sync error not queued for a retry, whenever it was recorded,
  import warnings left out.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from integrations.models import (
    Connection,
    InboundEvent,
    InboundState,
    OutboundMessage,
    OutboundState,
    SyncError,
)
from monitoring.models import ChannelKind, NotificationChannel
from monitoring.services.notify import send_summary

PERIOD = timedelta(hours=24)


@dataclass
class ConnectionSummary:
    connection: Connection
    failed: list[tuple[str, int]] = field(default_factory=list)
    failed_total: int = 0
    warnings: list[tuple[str, int]] = field(default_factory=list)
    warnings_total: int = 0
    retried_delivered: int = 0
    retried_processed: int = 0
    resolved: int = 0
    needs_person: int = 0
    needs_person_examples: list[SyncError] = field(default_factory=list)

    @property
    def is_quiet(self):
        return not (
            self.failed_total or self.warnings_total or self.retried_delivered or self.retried_processed or self.resolved
            or self.needs_person
        )


def _counts(queryset):
    return dict(queryset.values("connection_id").annotate(n=Count("pk")).values_list("connection_id", "n"))


def _counts_by_code(queryset):
    """Return rows of connection_id, code and n, the most frequent code of each connection first."""
    return queryset.values("connection_id", "code").annotate(n=Count("pk")).order_by("connection_id", "-n", "code")


def build_summary(now=None, examples=5):
    """Return a ConnectionSummary per connection, ordered by name, for the 24 hours before `now`."""
    now = now or timezone.now()
    since = now - PERIOD
    summaries = {connection.pk: ConnectionSummary(connection) for connection in Connection.objects.order_by("name")}

    recorded = SyncError.objects.filter(created_at__gt=since, created_at__lte=now)
    for row in _counts_by_code(recorded.problems()):
        summary = summaries[row["connection_id"]]
        summary.failed.append((row["code"], row["n"]))
        summary.failed_total += row["n"]
    for row in _counts_by_code(recorded.warnings()):
        summary = summaries[row["connection_id"]]
        summary.warnings.append((row["code"], row["n"]))
        summary.warnings_total += row["n"]

    delivered = _counts(
        OutboundMessage.objects.filter(state=OutboundState.DELIVERED, delivered_at__gt=since, delivered_at__lte=now, attempts__gt=1)
    )
    processed = _counts(
        InboundEvent.objects.filter(state=InboundState.PROCESSED, processed_at__gt=since, processed_at__lte=now, attempts__gt=1)
    )
    resolved = _counts(SyncError.objects.filter(resolved=True, resolved_at__gt=since, resolved_at__lte=now))
    # A retry from the admin sets next_retry_at and a new failure clears it again. Import
    # warnings are left out because they need no action.
    open_errors = SyncError.objects.problems().filter(resolved=False, next_retry_at__isnull=True)
    needs_person = _counts(open_errors)

    for connection_id, summary in summaries.items():
        summary.retried_delivered = delivered.get(connection_id, 0)
        summary.retried_processed = processed.get(connection_id, 0)
        summary.resolved = resolved.get(connection_id, 0)
        summary.needs_person = needs_person.get(connection_id, 0)
        if summary.needs_person:
            summary.needs_person_examples = list(open_errors.filter(connection_id=connection_id).order_by("created_at")[:examples])
    return list(summaries.values())


def summary_texts(summaries, now):
    """Return (subject, plain-text body) of the summary email in the active language."""
    needs_person = sum(summary.needs_person for summary in summaries)
    failed = sum(summary.failed_total for summary in summaries)
    subject = gettext("[Kontor] Daily summary: %(failed)d failed, %(open)d need a person") % {"failed": failed, "open": needs_person}
    body = render_to_string(
        "monitoring/daily_summary.txt",
        {"summaries": [summary for summary in summaries if not summary.is_quiet], "since": now - PERIOD, "now": now},
    )
    return subject, body


def send_daily_summary(now=None):
    """Email the summary to every enabled email channel marked for it; return how many got it."""
    now = now or timezone.now()
    channels = NotificationChannel.objects.filter(enabled=True, daily_summary=True, kind=ChannelKind.EMAIL)
    if not channels.exists():
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = summary_texts(build_summary(now), now)
        return sum(1 for channel in channels if send_summary(channel, subject, body, now))
