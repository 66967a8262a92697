"""The generic webhook endpoint: verify, store, queue and respond. Processing happens on a lane."""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations.domains import Domain
from integrations.models import Connection, InboundSource
from integrations.models.inbox import InboundEvent
from integrations.registry import UnknownConnector, WebhookMalformed, WebhookRejected
from integrations.services.inbox import store_inbound_items

logger = logging.getLogger(__name__)

# Webhook payloads are single events; 1 MiB is far above any documented provider event and
# keeps a flood of large bodies from filling memory.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


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
    return JsonResponse({"error": code, "message": message}, status=status)


@csrf_exempt
@require_POST
def receive_webhook(request, slug, entity=None):
    """Verify a provider's webhook against the raw body, store its items and respond at once.

    200 also for duplicates and for events that turn out stale later, because a sender
    retries anything else for days. 401 for an invalid signature, 400 for an unreadable body,
    404 for an unknown or disabled connection, 413 for a body over the size limit.
    """
    connection = Connection.objects.filter(slug=slug, enabled=True).first()
    if connection is None:
        return _error(404, "unknown_connection", f"No enabled connection with the slug {slug!r}.")
    if entity is not None and entity not in Domain.values:
        return _error(404, "unknown_entity", f"Unknown entity {entity!r}; use one of {', '.join(Domain.values)}.")

    max_bytes = getattr(settings, "WEBHOOK_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)
    try:
        declared_length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared_length = 0
    try:
        body = request.body
    except RequestDataTooBig:
        body = None
    if body is None or declared_length > max_bytes or len(body) > max_bytes:
        logger.warning("webhook body too large", extra={"connection_id": connection.pk, "bytes": declared_length})
        return _error(413, "body_too_large", f"The body is larger than {max_bytes} bytes.")

    try:
        connector = connection.connector
    except UnknownConnector:
        logger.error("webhook for unknown connector", extra={"connection_id": connection.pk, "kind": connection.kind})
        return _error(404, "unknown_connector", "This connection's connector is not installed.")

    try:
        connector.verify_webhook(connection, body, request.headers)
    except WebhookRejected as error:
        logger.warning(
            "webhook signature rejected",
            extra={"connection_id": connection.pk, "reason": str(error), "bytes": len(body)},
        )
        return _error(401, "invalid_signature", "The webhook signature is invalid.")

    try:
        items = connector.parse_webhook(connection, body, request.headers, entity=entity)
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

    headers = {name: request.headers[name] for name in connector.stored_headers if name in request.headers}
    # No transaction.atomic here, because the items go in as one INSERT statement, which is atomic
    # on its own. The request then costs one commit and no BEGIN and COMMIT round trips.
    new_ids = store_inbound_items(connection, items, source=InboundSource.WEBHOOK, headers=headers)
    return JsonResponse({"received": len(items), "stored": len(new_ids)})
