"""Connection set-up and checks for support staff."""

import logging

from django.db import transaction
from django.utils.translation import gettext

from integrations.crypto import CredentialsUnreadable
from integrations.errors import ConnectorError
from integrations.registry import UnknownConnector
from integrations.services.leading import claim_default_leads

logger = logging.getLogger(__name__)


def check_connection(connection):
    """Call the connector's health check; return (ok, text for the admin)."""
    try:
        result = connection.connector.health_check(connection)
    except (ConnectorError, CredentialsUnreadable, UnknownConnector, NotImplementedError) as error:
        logger.warning(
            "connection test failed",
            extra={"connection_id": connection.pk, "error": type(error).__name__},
        )
        return False, str(getattr(error, "support_message", "") or error)
    except Exception:
        logger.exception("connection test failed", extra={"connection_id": connection.pk})
        return False, gettext("The test failed with an unexpected error. The technical details are in the log.")

    logger.info("connection test succeeded", extra={"connection_id": connection.pk})
    return True, str(result or gettext("The connection works."))


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
