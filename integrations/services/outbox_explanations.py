"""The explanation that support reads on an outbound message's page: what went wrong, what Kontor does next.

A message that is still retrying has no sync error, because Kontor writes one only when the
message fails for good. Its explanation comes from the error code of its last attempt, with the
HTTP status from the technical error text where that text has one. A failed message shows its
sync error's message, which Kontor stored in every language.
"""

import re
from collections.abc import Container
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.formats import format_utc
from core.translation import in_active_language
from integrations.models import OutboundState

# integrations.http ends the technical text of an error response with this, as in
# "POST /json/2/sale.order/create returned HTTP 503".
HTTP_STATUS_PATTERN = re.compile(r"\breturned HTTP (\d{3})\b")

SERVER_ERROR_STATUSES = range(500, 600)
CLIENT_ERROR_STATUSES = range(400, 500)


@dataclass(frozen=True)
class Cause:
    """The sentence for one error code, and its variant with the HTTP status of the failed response.

    `statuses` are the statuses that raise this code. The technical text of a message that Kontor
    deferred without sending it (its own rate limit, an open circuit) is that of an earlier
    attempt, so a status outside them belongs to another error and is left out.
    """

    template: object
    status_template: object = None
    statuses: Container[int] = ()


# One sentence per ConnectorError code (integrations.errors and the connectors' own errors), in
# the past tense, because it reports the last attempt. The next step is a sentence of its own.
CAUSES = {
    "unavailable": Cause(
        _("%(connection)s was not available."),
        _("%(connection)s was not available (HTTP %(status)s)."),
        {502, 503, 504},
    ),
    "server_error": Cause(
        _("%(connection)s had an internal error."),
        _("%(connection)s had an internal error (HTTP %(status)s)."),
        SERVER_ERROR_STATUSES,
    ),
    # Without a 429 the limit may be Kontor's own for the connection, so the sentence names no side.
    "rate_limited": Cause(
        _("Requests to %(connection)s reached the rate limit."),
        _("%(connection)s rejected the request because of its rate limit (HTTP %(status)s)."),
        {429},
    ),
    "conflict": Cause(
        _("%(connection)s reported a conflict with another change to the same record."),
        _("%(connection)s reported a conflict with another change to the same record (HTTP %(status)s)."),
        {409},
    ),
    "timeout": Cause(_("%(connection)s did not respond in time.")),
    "connection_failed": Cause(_("Kontor could not connect to %(connection)s.")),
    "circuit_open": Cause(
        _("Kontor paused sending to %(connection)s after repeated failures, so it did not send this message."),
    ),
    "auth_failed": Cause(
        _("%(connection)s rejected the credentials."),
        _("%(connection)s rejected the credentials (HTTP %(status)s)."),
        {401, 403},
    ),
    "not_found": Cause(
        _("%(connection)s did not find the requested record."),
        _("%(connection)s did not find the requested record (HTTP %(status)s)."),
        {404},
    ),
    "validation_failed": Cause(
        _("%(connection)s rejected the data as invalid."),
        _("%(connection)s rejected the data as invalid (HTTP %(status)s)."),
        {400, 422},
    ),
    "request_rejected": Cause(
        _("%(connection)s rejected the request."),
        _("%(connection)s rejected the request (HTTP %(status)s)."),
        CLIENT_ERROR_STATUSES,
    ),
    "invalid_response": Cause(_("%(connection)s sent a response that Kontor cannot read.")),
    "connector_error": Cause(_("The request to %(connection)s failed before a response arrived.")),
    "configuration_invalid": Cause(_("A setting of the connection %(connection)s is missing or invalid.")),
    "base_url_invalid": Cause(_("The base URL in the settings of the connection %(connection)s is invalid.")),
    "setting_invalid": Cause(_("A setting of the connection %(connection)s is missing or invalid.")),
    "worker_stopped": Cause(_("The request to %(connection)s was cut short because Kontor's workers were stopping.")),
    "task_time_limit": Cause(_("The request to %(connection)s was cut short because its task reached its time limit.")),
    "database_contention": Cause(_("Another change to the same stock or order held Kontor's database on every attempt.")),
    # delivery.record_failed_attempt gives this code to an exception that is no ConnectorError.
    "internal_error": Cause(_("Kontor had an internal error while it sent this message to %(connection)s.")),
}

UNKNOWN_CAUSE = _("The last attempt to send this message to %(connection)s failed with the error code %(code)s.")


def explanation_shown(message):
    """Return whether the page of `message` explains a failure: it is retrying after one, or failed."""
    if message.state == OutboundState.FAILED:
        return True
    return message.state == OutboundState.PENDING and bool(message.error_code)


def explain_outbound_message(message, now=None):
    """Return what happened to `message` and what Kontor does next, in the active language.

    Returns None for a message that explanation_shown excludes.
    """
    if not explanation_shown(message):
        return None

    if message.state == OutboundState.FAILED:
        return _failure_text(message)

    return f"{cause_text(message)} {_next_step(message, now or timezone.now())}"


def cause_text(message):
    """Return the sentence for the error code of the last attempt of `message`, in the active language."""
    params = {"connection": message.connection.name, "code": message.error_code}
    cause = CAUSES.get(message.error_code)
    if cause is None:
        return str(UNKNOWN_CAUSE) % params

    status = http_status_of(message.last_error)
    if cause.status_template is not None and status in cause.statuses:
        return str(cause.status_template) % {**params, "status": status}
    return str(cause.template) % params


def http_status_of(error_text):
    """Return the HTTP status in a technical error text of integrations.http, or None if it has none."""
    match = HTTP_STATUS_PATTERN.search(error_text or "")
    return int(match.group(1)) if match else None


def _failure_text(message):
    sync_error = _sync_error_of(message)
    if sync_error is not None:
        text = in_active_language(sync_error.message, sync_error.message_translations)
        if text:
            return text

    # Without a sync error there is no Retry button, so the text only states that sending stopped.
    return f"{cause_text(message)} {gettext('Kontor does not try again.')}"


def _sync_error_of(message):
    try:
        return message.sync_error
    except ObjectDoesNotExist:
        return None


def _next_step(message, now):
    connection = message.connection
    # The sweep and the claims take only the messages of enabled connections.
    if not connection.enabled:
        return gettext("Kontor does not try again while the connection %(connection)s is not enabled.") % {
            "connection": connection.name,
        }

    params = {"time": format_utc(message.next_attempt_at)}
    if message.next_attempt_at > now:
        return gettext("Kontor tries again automatically on %(time)s UTC.") % params

    # integrations.tasks.sweep, scheduled every minute, queues the due messages.
    return gettext("Kontor tries again shortly (due since %(time)s UTC).") % params
