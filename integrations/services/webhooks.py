"""Accepting a webhook: find the connection, verify, parse and store the items, then respond.

Both entry points call `accept_webhook`: the Django view (`integrations.views`) and the lean
WSGI intake (`integrations.intake`) that handles webhook POSTs without Django's request stack.
Processing happens later, on the item's lane.
"""

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db.models.signals import post_delete, post_save

from integrations.domains import Domain
from integrations.errors import ConnectorError
from integrations.models import Connection, InboundSource
from integrations.models.inbox import InboundEvent
from integrations.registry import UnknownConnector, WebhookMalformed, WebhookRejected
from integrations.services.inbox import store_inbound_items

logger = logging.getLogger(__name__)

# Webhook payloads are single events; 1 MiB is far above any documented provider event and
# keeps a flood of large bodies from filling memory.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class WebhookResponse:
    """The HTTP status and JSON body to send back to the webhook's sender."""

    status: int
    body: dict


def max_body_bytes():
    return getattr(settings, "WEBHOOK_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)


def body_too_large(connection_id, declared_length):
    logger.warning("webhook body too large", extra={"connection_id": connection_id, "bytes": declared_length})
    return _error(413, "body_too_large", f"The body is larger than {max_body_bytes()} bytes.")


def accept_webhook(slug, entity, read_body, headers):
    """Verify a provider's webhook against the raw body, store its items and return the response.

    `read_body()` returns the raw body, or None when it is larger than `max_body_bytes()`. It is
    called only after the connection is known, so an unknown slug costs no read. `headers` is
    a case-insensitive mapping of the request headers.

    200 also for duplicates and for events that turn out stale later, because a sender
    retries anything else for days. 401 for an invalid signature, 400 for an unreadable body,
    404 for an unknown or disabled connection, 413 for a body over the size limit.
    """
    connection = enabled_connection(slug)
    if connection is None:
        return _error(404, "unknown_connection", f"No enabled connection with the slug {slug!r}.")
    if entity is not None and entity not in Domain.values:
        return _error(404, "unknown_entity", f"Unknown entity {entity!r}; use one of {', '.join(Domain.values)}.")

    body = read_body()
    if body is None:
        return body_too_large(connection.pk, _declared_length(headers))

    try:
        connector = connection.connector
    except UnknownConnector:
        logger.error("webhook for unknown connector", extra={"connection_id": connection.pk, "kind": connection.kind})
        return _error(404, "unknown_connector", "This connection's connector is not installed.")

    try:
        connector.verify_webhook(connection, body, headers)
    except WebhookRejected as error:
        logger.warning(
            "webhook signature rejected",
            extra={"connection_id": connection.pk, "reason": str(error), "bytes": len(body)},
        )
        return _error(401, "invalid_signature", "The webhook signature is invalid.")
    except ConnectorError:
        # A remote call of the verification (PayPal's postback) failed, and the connector has
        # logged it and recorded it with the connection. The sender retries a 503.
        return _error(503, "verification_failed", "The event could not be verified now and was not stored. Send it again.")

    try:
        items = connector.parse_webhook(connection, body, headers, entity=entity)
        items = [_storable(item) for item in items]
    except WebhookMalformed as error:
        logger.warning(
            "webhook body malformed",
            extra={"connection_id": connection.pk, "reason": str(error), "bytes": len(body)},
        )
        return _error(400, "malformed_body", str(error))
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError) as error:
        # A signed body with a field of the wrong type or shape, such as a string where an object
        # belongs, a date in month 13 or nesting that exhausts the parser. The fault is the
        # sender's, so a 400 response stops its retries, and the log names the exception.
        logger.warning(
            "webhook body malformed",
            extra={"connection_id": connection.pk, "reason": type(error).__name__, "bytes": len(body)},
        )
        return _error(400, "malformed_body", "The body does not have the shape this connector expects.")

    stored_headers = {name: headers[name] for name in connector.stored_headers if name in headers}
    # No transaction.atomic here, because the items go in as one INSERT statement, which is atomic
    # on its own. The request then costs one commit and no BEGIN and COMMIT round trips.
    new_ids = store_inbound_items(connection, items, source=InboundSource.WEBHOOK, headers=stored_headers)
    return WebhookResponse(200, {"received": len(items), "stored": len(new_ids)})


# Enabled connections by slug, kept for WEBHOOK_CONNECTION_CACHE_SECONDS per process. A busy
# receiver would otherwise read the same row for every event. The cost is a bounded delay:
# disabling a connection or changing its secrets reaches the other processes within that time.
# In the process that saved the change, the signal below drops the entry at once.
_connections = {}
_connections_lock = threading.Lock()


def enabled_connection(slug):
    """Return the enabled connection with this slug, or None."""
    ttl = getattr(settings, "WEBHOOK_CONNECTION_CACHE_SECONDS", 5)
    now = time.monotonic()
    cached = _connections.get(slug)
    if cached is not None and cached[1] > now:
        return cached[0]

    connection = Connection.objects.filter(slug=slug, enabled=True).first()
    if ttl > 0:
        with _connections_lock:
            _connections[slug] = (connection, now + ttl)
    return connection


def forget_cached_connections(**kwargs):
    with _connections_lock:
        _connections.clear()


post_save.connect(forget_cached_connections, sender=Connection, dispatch_uid="webhooks-forget-connections")
post_delete.connect(forget_cached_connections, sender=Connection, dispatch_uid="webhooks-forget-connections-delete")


def _declared_length(headers):
    try:
        return int(headers.get("Content-Length") or 0)
    except ValueError:
        return 0


def _without_nul(value):
    """Return `value` with NUL characters removed from every string in it.

    PostgreSQL cannot store NUL in text or JSON; dropping it keeps the event instead of
    failing the request, and no provider gives a NUL a meaning.
    """
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    return value


def _storable(item):
    """Return the item ready for the inbox, or raise WebhookMalformed for ids the inbox cannot hold."""
    for name in ("external_id", "dedup_key"):
        limit = InboundEvent._meta.get_field(name).max_length
        if len(str(getattr(item, name))) > limit:
            raise WebhookMalformed(f"The {name.replace('_', ' ')} is longer than {limit} characters.")
    item.external_id = _without_nul(str(item.external_id))
    item.dedup_key = _without_nul(str(item.dedup_key))
    item.payload = _without_nul(item.payload)
    return item


def _error(status, code, message):
    return WebhookResponse(status, {"error": code, "message": message})
