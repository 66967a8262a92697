"""The inbound event page shows the event's error in the reader's language."""

import html

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from integrations.models import Connection, InboundEvent, SyncError

pytestmark = pytest.mark.django_db

ENGLISH = "Stripe payment pi_5 (order reference 1001) was not applied: Kontor has no such order (yet)."
GERMAN = "Stripe-Zahlung pi_5 (Bestellreferenz 1001) wurde nicht übernommen: Kontor kennt diese Bestellung (noch) nicht."


def failed_event(error):
    connection = Connection.objects.create(kind="stripe", name="Stripe", slug="stripe", base_url="http://stripe.invalid")
    event = InboundEvent.objects.create(
        connection=connection, entity="payments", external_id="pi_5", dedup_key="payments:pi_5", source="webhook",
        payload={}, received_at=timezone.now(), state="failed", attempts=1, error=error,
    )
    SyncError.objects.create(
        connection=connection, direction="inbound", entity="payments", external_id="pi_5", inbound_event=event,
        code="order_not_found", message=ENGLISH, message_translations={"en": ENGLISH, "de": GERMAN},
    )
    return event


def german_page(client, event):
    with translation.override("de"):
        response = client.get(reverse("admin:integrations_inboundevent_change", args=[event.pk]), HTTP_ACCEPT_LANGUAGE="de")
    return html.unescape(response.content.decode())


def test_error_shown_in_german(admin_client):
    # given a failed event whose error the worker stored in English
    event = failed_event(ENGLISH)

    # when a German reader opens the event
    page = german_page(admin_client, event)

    # then the error is the sync error's German message
    assert f'<div class="readonly">{GERMAN}</div>' in page
    assert ENGLISH not in page


def test_newer_error_shown_as_stored(admin_client):
    # given an event that failed again with another error since its sync error was recorded
    event = failed_event("The Stripe API timed out.")

    # when a German reader opens the event
    page = german_page(admin_client, event)

    # then the newer error is shown as stored, not the older sync error
    assert '<div class="readonly">The Stripe API timed out.</div>' in page
    assert GERMAN not in page
