"""The sandbox's webhook sender: posts signed events to Kontor's hook URL, with webhook faults.

A simulated system builds the body and its signature headers (each system signs its own way)
and calls `send_webhook`. This module applies the system's webhook faults and stores every
delivery as a SandboxWebhookDelivery row:

- lost: the delivery is stored as dropped and never sent, as when a provider gives up;
- sent twice: the same body and headers are posted a second time;
- out of order: a delivery is held back and sent right after the next one, so each pair arrives
  swapped. `flush_held` sends what is still held, for the end of a stream or a test.
"""

import logging
import threading
import time

import requests
from django.utils import timezone

from integrations.sandbox.faults import chance, settings_for
from integrations.sandbox.models import DeliveryState, SandboxWebhookDelivery

logger = logging.getLogger(__name__)

# (connect, read) seconds; Kontor's hook view answers at once, so a slow answer is a failure.
TIMEOUT = (3.05, 10)

# Quick retries of a failed post (connection error or 5xx), as providers retry a few times.
RETRY_DELAYS = (0.2, 1.0)

# One requests.Session per thread, so posts reuse its connection pool (and keep-alive
# connections where the receiver allows them) instead of building a session per post.
_sessions = threading.local()


def _session():
    session = getattr(_sessions, "session", None)
    if session is None:
        session = _sessions.session = requests.Session()
        # Webhooks go straight to the receiver's URL. Without this, every post looks up proxy
        # settings in the environment again, which costs more CPU than the post on loopback.
        session.trust_env = False
    return session


def send_webhook(system, event, url, body, headers, *, faults=None):
    """Send (or hold, or drop) one webhook and return the deliveries made, the held one included.

    `body` is the exact bytes that the headers sign. `faults` is the system's SandboxFaults when
    the caller has read them already, or else they are read here.
    """
    return send_webhooks(system, [(event, url, body, headers)], faults=faults)


def send_webhooks(system, webhooks, *, faults=None):
    """Send many webhooks ([(event, url, body, headers)]) one POST each, in order.

    The outcome is the same as calling send_webhook for each in turn: faults apply per webhook,
    and a webhook held back for the out-of-order fault is sent right after the next one. The
    fault settings and the held deliveries are read once for the whole list. Returns the
    deliveries made, held and previously held ones included.

    NOTE: held deliveries are not locked. Two threads sending lists at the same time under the
    out-of-order fault can both post the same held delivery, a duplicate the receiver must
    tolerate anyway.
    """
    faults = faults if faults is not None else settings_for(system)
    held = list(SandboxWebhookDelivery.objects.filter(system=system, state=DeliveryState.HELD).order_by("id"))
    deliveries = []
    for event, url, body, headers in webhooks:
        delivery = SandboxWebhookDelivery(
            system=system, event=event, url=url, body=body.decode(), headers=dict(headers), state=DeliveryState.HELD
        )

        if chance(faults.drop_webhooks_percent):
            delivery.state = DeliveryState.DROPPED
            delivery.save()
            logger.info("sandbox webhook dropped", extra={"system": system, "event": event, "delivery_id": delivery.pk})
            deliveries.append(delivery)
            continue

        if faults.reorder_webhooks and not held:
            delivery.save()
            logger.info("sandbox webhook held back", extra={"system": system, "event": event, "delivery_id": delivery.pk})
            deliveries.append(delivery)
            held = [delivery]
            continue

        # Stored once, after the post, with its outcome: one INSERT instead of an INSERT and an UPDATE.
        _post(delivery)
        deliveries.append(delivery)
        if chance(faults.duplicate_webhooks_percent):
            duplicate = SandboxWebhookDelivery(system=system, event=event, url=url, body=delivery.body, headers=delivery.headers)
            _post(duplicate)
            deliveries.append(duplicate)

        # Sent after the newer one, so the receiver gets them out of order.
        for older in held:
            _post(older)
        deliveries.extend(held)
        held = []
    return deliveries


def flush_held(system):
    """Send every held-back delivery of a system in the order it was made; return the count."""
    held = list(SandboxWebhookDelivery.objects.filter(system=system, state=DeliveryState.HELD).order_by("id"))
    for delivery in held:
        _post(delivery)
    return len(held)


def resend(delivery):
    """Post a stored delivery again, such as one that failed or was dropped."""
    _post(delivery)
    return delivery


def _post(delivery):
    """Post a delivery with quick retries and store the outcome (inserting a delivery not stored yet)."""
    body = delivery.body.encode()
    error = ""
    status = None
    session = _session()
    for attempt, delay in enumerate((0, *RETRY_DELAYS), start=1):
        if delay:
            time.sleep(delay)
        delivery.attempts += 1
        try:
            response = session.post(delivery.url, data=body, headers=delivery.headers, timeout=TIMEOUT)
        except requests.RequestException as exc:
            status, error = None, type(exc).__name__
        else:
            status, error = response.status_code, ""
            if status < 500:
                break
        logger.warning(
            "sandbox webhook post failed",
            extra={"delivery_id": delivery.pk, "system": delivery.system, "event": delivery.event, "attempt": attempt, "status": status, "error": error},
        )

    delivery.status_code = status
    delivery.error = error
    delivery.state = DeliveryState.SENT if status is not None and 200 <= status < 300 else DeliveryState.FAILED
    delivery.sent_at = timezone.now()
    if delivery.pk is None:
        delivery.save()
    else:
        delivery.save(update_fields=["attempts", "status_code", "error", "state", "sent_at"])
    logger.info(
        "sandbox webhook sent",
        extra={"delivery_id": delivery.pk, "system": delivery.system, "event": delivery.event, "status": status},
    )
