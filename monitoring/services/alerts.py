"""Alert evaluation: one incident per rule and connection while the rule's condition holds.

Each evaluation measures every enabled rule for each connection it covers, then:
- condition holds, no open incident: open one and send the alert;
- condition holds, incident open: send a reminder once the rule's reminder interval has passed
  since the last notification that reached a channel (nothing in between: de-duplication);
- condition cleared, incident open: resolve it and send the resolved message.
An alert whose channels all failed stays unsent and is tried again at the next evaluation.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from core.translation import in_every_language
from integrations.models import Connection
from monitoring.models import AlertRule, Incident, NotificationKind
from monitoring.services.conditions import measure
from monitoring.services.notify import notify_incident

logger = logging.getLogger(__name__)


def message_fields(message):
    """Return the message columns of an incident: the text in the active language and in every language."""
    return {"message": str(message), "message_translations": in_every_language(lambda: str(message))}


def connections_of(rule):
    if rule.connection_id:
        return [rule.connection] if rule.connection.enabled else []
    return list(Connection.objects.filter(enabled=True).order_by("pk"))


def evaluate_rules(now=None):
    """Evaluate every enabled rule; return how many notifications of each kind were due."""
    now = now or timezone.now()
    counts = {NotificationKind.OPENED: 0, NotificationKind.REMINDER: 0, NotificationKind.RESOLVED: 0}
    # Alerts are read by support staff, so they use the installation's language.
    with translation.override(settings.LANGUAGE_CODE):
        for rule in AlertRule.objects.filter(enabled=True).select_related("connection").order_by("pk"):
            covered = connections_of(rule)
            for connection in covered:
                kind = evaluate(rule, connection, now)
                if kind is not None:
                    counts[kind] += 1
            # Incidents of connections the rule no longer covers (switched off, rule narrowed) end too.
            stale = Incident.objects.filter(rule=rule, resolved_at__isnull=True).exclude(connection__in=covered)
            for incident in stale.select_related("connection"):
                _resolve(incident, now)
                counts[NotificationKind.RESOLVED] += 1
        for incident in Incident.objects.filter(rule__enabled=False, resolved_at__isnull=True).select_related("rule", "connection"):
            _resolve(incident, now)
            counts[NotificationKind.RESOLVED] += 1
    if any(counts.values()):
        logger.info("alert evaluation changed incidents", extra={str(kind): count for kind, count in counts.items()})
    return counts


def evaluate(rule, connection, now):
    """Evaluate one rule for one connection; return the notification kind sent, or None."""
    measurement = measure(rule, connection, now)
    with transaction.atomic():
        incident = (
            Incident.objects.select_for_update()
            .select_related("rule", "connection")
            .filter(rule=rule, connection=connection, resolved_at__isnull=True)
            .first()
        )
        if not measurement.firing:
            if incident is None:
                return None
            incident.resolved_at = now
            incident.save(update_fields=["resolved_at"])
            kind = NotificationKind.RESOLVED
        elif incident is None:
            incident = Incident.objects.create(rule=rule, connection=connection, opened_at=now, **message_fields(measurement.message))
            kind = NotificationKind.OPENED
        elif incident.last_notified_at is None:
            kind = NotificationKind.OPENED
        elif now - incident.last_notified_at >= timedelta(minutes=rule.reminder_minutes):
            kind = NotificationKind.REMINDER
        else:
            return None

        if kind != NotificationKind.RESOLVED:
            # The reminder carries the current numbers, not those from when the incident opened.
            for field, value in message_fields(measurement.message).items():
                setattr(incident, field, value)
            incident.save(update_fields=["message", "message_translations"])

    logger.info(
        "alert incident changed",
        extra={"incident_id": incident.pk, "rule_id": rule.pk, "connection_id": connection.pk, "kind": kind},
    )
    if notify_incident(incident, kind, now) and kind != NotificationKind.RESOLVED:
        Incident.objects.filter(pk=incident.pk).update(last_notified_at=now)
    return kind


def _resolve(incident, now):
    incident.resolved_at = now
    incident.save(update_fields=["resolved_at"])
    notify_incident(incident, NotificationKind.RESOLVED, now)
