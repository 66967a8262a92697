"""Sending alerts and summaries to notification channels: email, or a JSON POST to a webhook.

Every attempt is stored as a Notification row. A failed channel is logged and does not stop the
others. The webhook body has a `text` field, which Slack incoming webhooks and Microsoft Teams
incoming webhooks display as the message, plus structured fields for other receivers.
"""

import logging

import requests
from django.core.mail import send_mail
from django.urls import reverse
from django.utils.translation import gettext

from core.formats import format_utc_datetime
from monitoring.models import ChannelKind, Notification, NotificationKind

logger = logging.getLogger(__name__)

# (connect, read) seconds: an alert receiver that hangs must not hold the evaluation task.
WEBHOOK_TIMEOUT = (3.05, 10)


def send_to_channel(channel, subject, body, payload):
    """Send one message to one channel; return (succeeded, error text)."""
    try:
        if channel.kind == ChannelKind.EMAIL:
            send_mail(subject, body, None, channel.recipient_list)
        else:
            response = requests.post(channel.url, json={"text": f"{subject}\n{body}", **payload}, timeout=WEBHOOK_TIMEOUT)
            if not 200 <= response.status_code < 300:
                return False, f"webhook returned HTTP {response.status_code}"
    except (requests.RequestException, OSError) as error:
        # OSError covers SMTP failures; the text names the cause but no credentials.
        return False, f"{type(error).__name__}: {error}"
    return True, ""


def _record(channel, kind, now, incident, succeeded, error):
    Notification.objects.create(channel=channel, incident=incident, kind=kind, sent_at=now, succeeded=succeeded, error=error[:2000])
    if not succeeded:
        logger.warning(
            "notification failed",
            extra={"channel_id": channel.pk, "incident_id": incident.pk if incident else None, "kind": kind, "error": error},
        )


SUBJECTS = {
    NotificationKind.OPENED: lambda: gettext("[Kontor] Alert: %(rule)s – %(connection)s"),
    NotificationKind.REMINDER: lambda: gettext("[Kontor] Still open: %(rule)s – %(connection)s"),
    NotificationKind.RESOLVED: lambda: gettext("[Kontor] Resolved: %(rule)s – %(connection)s"),
}


def incident_texts(incident, kind):
    """Return (subject, body) of an incident notification in the active language."""
    names = {"rule": incident.rule.name, "connection": incident.connection.name}
    subject = SUBJECTS[kind]() % names
    lines = [incident.localized_message(), ""]
    lines.append(gettext("Open since: %(time)s") % {"time": format_utc_datetime(incident.opened_at)})
    if kind == NotificationKind.RESOLVED:
        lines.append(gettext("Resolved at: %(time)s") % {"time": format_utc_datetime(incident.resolved_at)})
    else:
        lines.append(
            gettext(
                "What to do: open the monitoring dashboard in the Kontor admin (%(path)s) and follow the "
                "connection's links to its sync runs and sync errors, where failed items can be retried."
            )
            % {"path": reverse("admin:monitoring_dashboard_changelist")}
        )
    return subject, "\n".join(lines)


def notify_incident(incident, kind, now):
    """Send an incident notification to the rule's enabled channels; return whether any succeeded.

    A rule without channels counts as notified, because the dashboard shows its incidents anyway.
    """
    channels = list(incident.rule.channels.filter(enabled=True))
    if not channels:
        return True
    subject, body = incident_texts(incident, kind)
    payload = {
        "status": kind,
        "rule": incident.rule.name,
        "rule_kind": incident.rule.kind,
        "connection": incident.connection.slug,
        "message": incident.localized_message(),
        "opened_at": incident.opened_at.isoformat(),
        "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
    }
    any_succeeded = False
    for channel in channels:
        succeeded, error = send_to_channel(channel, subject, body, payload)
        _record(channel, kind, now, incident, succeeded, error)
        any_succeeded = any_succeeded or succeeded
    return any_succeeded


def send_summary(channel, subject, body, now):
    succeeded, error = send_to_channel(channel, subject, body, {"status": NotificationKind.SUMMARY})
    _record(channel, NotificationKind.SUMMARY, now, None, succeeded, error)
    return succeeded
