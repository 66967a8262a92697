"""Sync errors of parcels that Kontor cannot match read entirely in each stored language."""

from datetime import UTC, datetime

import pytest
from django.utils import translation

from integrations.models import SyncError
from orders.payments import OrderReference
from orders.shipments import ShipmentReport, UnmatchedShipmentEvent
from tests.payments.support import make_order, process_pending
from tests.shipping.support import make_sendcloud, parcel_event, post_parcel_event

pytestmark = pytest.mark.django_db

TRACKING_NUMBER = "JVGL0612345678901234"


def unmatched_messages(client, order_number="1001"):
    """Post a Sendcloud parcel that Kontor cannot match; return its sync error's German and English message."""
    payload = parcel_event(3, 1767265200000)
    payload["parcel"]["order_number"] = order_number
    post_parcel_event(client, make_sendcloud(), payload)
    process_pending()
    sync_error = SyncError.objects.get()
    assert sync_error.code == "unmatched_shipment"
    return sync_error.message_translations["de"], sync_error.message_translations["en"]


def test_unknown_order_reason_in_german(client, queued):
    german, english = unmatched_messages(client)

    assert german == (
        f"DHL-Paket {TRACKING_NUMBER} (Bestellreferenz 1001) wurde nicht übernommen: "
        "Kontor kennt diese Bestellung (noch) nicht. Ordnen Sie das Paket unter „Nicht zugeordnete "
        "Anbieterereignisse“ der richtigen Bestellung zu und verarbeiten Sie es erneut."
    )
    assert "no such order" not in german
    assert english.startswith(
        f"DHL parcel {TRACKING_NUMBER} (order reference 1001) was not applied: Kontor has no such order (yet). "
    )


def test_unknown_order_reason_in_admin(client, queued):
    # The admin shows the stored translation of the reader's language.
    unmatched_messages(client)
    sync_error = SyncError.objects.get()

    with translation.override("de"):
        shown = sync_error.localized_message()

    assert shown.startswith(f"DHL-Paket {TRACKING_NUMBER} ")
    assert "wurde nicht übernommen: Kontor kennt diese Bestellung (noch) nicht. " in shown


def test_missing_order_reference_reason_in_german(client, queued):
    german, english = unmatched_messages(client, order_number="")

    assert "wurde nicht übernommen: die Meldung enthält keine Bestellreferenz. " in german
    assert "carries" not in german
    assert "was not applied: the report carries no order reference. " in english


def test_ambiguous_order_number_reason_in_german(client, queued):
    make_order("1001", channel_code="shop-de")
    make_order("1001", channel_code="shop-at")

    german, english = unmatched_messages(client)

    assert "wurde nicht übernommen: mehr als ein Vertriebskanal hat eine Bestellung mit dieser Nummer. " in german
    assert "more than one" not in german
    assert "was not applied: more than one channel has an order with this number. " in english


def parcel_report(carrier):
    return ShipmentReport(
        carrier=carrier, status="in_transit", occurred_at=datetime(2026, 1, 1, 9, 0, tzinfo=UTC),
        tracking_number="00340434161094042557", order=OrderReference(order_number="1001"),
    )


def test_message_carrier_names():
    # A code without a label is shown as stored, so the message still names the carrier.
    for carrier, name in [("dhl", "DHL"), ("dpd", "DPD"), ("acme_freight", "acme_freight")]:
        error = UnmatchedShipmentEvent(parcel_report(carrier), "reason")

        with translation.override("de"):
            assert error.support_message.startswith(f"{name}-Paket 00340434161094042557 "), carrier
        with translation.override("en"):
            assert error.support_message.startswith(f"{name} parcel 00340434161094042557 "), carrier

    # The exception's own text is for developers and keeps the stored code.
    assert str(UnmatchedShipmentEvent(parcel_report("dhl"), "reason")) == "dhl parcel 00340434161094042557: unmatched_shipment"
