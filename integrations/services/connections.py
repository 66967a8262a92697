"""Connection set-up and checks for support staff."""

import logging

from django.db import transaction
from django.utils.translation import gettext, ngettext

from integrations.crypto import CredentialsUnreadable
from integrations.errors import ConnectorError, url_without_secrets
from integrations.models import InboundState, OutboundState
from integrations.registry import UnknownConnector
from integrations.services.leading import claim_default_leads

logger = logging.getLogger(__name__)


# Results that connectors return when the check passed without a detail worth showing.
PLAIN_RESULTS = {"", "ok", "authenticated"}


def check_connection(connection):
    """Call the connector's health check; return (ok, text for the admin in the active language)."""
    try:
        result = connection.connector.health_check(connection)
    except (ConnectorError, CredentialsUnreadable, UnknownConnector, NotImplementedError) as error:
        logger.warning(
            "connection test failed",
            extra={
                "connection_id": connection.pk,
                "error": type(error).__name__,
                "error_code": getattr(error, "code", ""),
                "detail": str(error),
            },
        )
        return False, failure_text(connection, error)
    except Exception:
        # A bug in Kontor or the connector, not a state the merchant can fix.
        logger.exception("connection test failed unexpectedly", extra={"connection_id": connection.pk, "kind": connection.kind})
        return False, gettext("The test failed with an unexpected error. The technical details are in the log.")

    logger.info("connection test succeeded", extra={"connection_id": connection.pk})
    if str(result or "") in PLAIN_RESULTS:
        return True, gettext("The connection works.")
    return True, str(result)


def failure_text(connection, error):
    """Return the admin text for an expected failure of the connection test."""
    if isinstance(error, ConnectorError):
        # The client may have filled in the connector's default base URL (Stripe, Mollie ...).
        auth_labels = [spec.label for spec in connection.connector.credential_fields if spec.auth]
        return error.test_message(url=url_without_secrets(connection.base_url), credentials=auth_labels)
    if isinstance(error, CredentialsUnreadable):
        return gettext(
            "The stored credentials of %(connection)s cannot be decrypted with the current "
            "CREDENTIALS_KEY. Restore the previous key or enter the credentials again."
        ) % {"connection": connection.name}
    if isinstance(error, UnknownConnector):
        return gettext(
            "Kontor has no connector of kind %(kind)s, so %(connection)s cannot be tested. "
            "Ask your administrator to install the connector or correct the kind."
        ) % {"kind": connection.kind, "connection": connection.name}
    return gettext("The %(connector)s connector has no connection test.") % {"connector": connection.connector.display_name}


@transaction.atomic
def connection_created(connection):
    """Run the set-up a new connection needs: its connector's default leading-system rules."""
    try:
        rules = claim_default_leads(connection)
    except UnknownConnector:
        logger.warning("connection of unknown kind created", extra={"connection_id": connection.pk, "kind": connection.kind})
        return []
    logger.info("connection created", extra={"connection_id": connection.pk, "kind": connection.kind, "rules": len(rules)})
    return rules


def deletion_blockers(connection):
    """Return why `connection` must not be deleted, as translated sentences; an empty list allows it.

    Deleting a connection would delete its outbound messages and inbound events with it. A
    message that still waits may be an order the ERP never received, and a waiting event a shop
    order Kontor never imported. Delivered and processed ones are the record of what was sent and
    received, and sync errors the record of what failed, which the admin keeps too (it offers no
    delete for them). Disabling the connection
    stops its traffic and keeps all of it.
    """
    waiting_messages = connection.outbound_messages.filter(state__in=[OutboundState.PENDING, OutboundState.IN_FLIGHT]).count()
    waiting_events = connection.inbound_events.filter(state=InboundState.PENDING).count()

    blockers = []
    if waiting_messages:
        blockers.append(
            ngettext(
                "%(count)d outbound message to %(connection)s is not delivered yet and would be lost. Disable the connection instead, or wait until it is delivered.",
                "%(count)d outbound messages to %(connection)s are not delivered yet and would be lost. Disable the connection instead, or wait until they are delivered.",
                waiting_messages,
            )
            % {"count": waiting_messages, "connection": connection.name}
        )
    if waiting_events:
        blockers.append(
            ngettext(
                "%(count)d inbound event from %(connection)s is not processed yet and would be lost. Disable the connection instead, or wait until it is processed.",
                "%(count)d inbound events from %(connection)s are not processed yet and would be lost. Disable the connection instead, or wait until they are processed.",
                waiting_events,
            )
            % {"count": waiting_events, "connection": connection.name}
        )
    has_history = connection.outbound_messages.exists() or connection.inbound_events.exists() or connection.sync_errors.exists()
    if not blockers and has_history:
        blockers.append(
            gettext(
                "Kontor keeps the messages, events and sync errors of %(connection)s as the record of its traffic. "
                "Disable the connection instead of deleting it."
            )
            % {"connection": connection.name}
        )
    return blockers
