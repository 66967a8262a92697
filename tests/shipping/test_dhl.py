import base64
import json

import pytest
import responses

from integrations.dhl import labels, tasks, tracking
from integrations.models import InboundEvent
from orders.models import OrderStatus, Shipment, ShipmentStatus
from tests.payments.support import fixture, make_connection, process_pending
from tests.shipping.support import make_order_with_address

pytestmark = pytest.mark.django_db

API = "https://dhl.test"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
API_KEY = "dhl-api-key-0123456789"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def make_dhl():
    return make_connection(
        "dhl", "dhl",
        {"api_key": API_KEY, "username": "user-valid", "password": "SandboxPasswort2023!", "billing_number": "33333333330102"},
        base_url=API,
    )


def orders_response(shipment_number="340434310428091700"):
    body = fixture("dhl", "orders_response")
    body["items"][0]["shipmentNo"] = shipment_number
    body["items"][0]["label"]["b64"] = base64.b64encode(PDF).decode()
    return body


def make_shipment(order):
    return Shipment.objects.create(order=order, carrier="dhl", service="V01PAK")


@responses.activate
def test_label_created_and_stored():
    order = make_order_with_address()
    dhl = make_dhl()
    shipment = make_shipment(order)
    create = responses.post(f"{API}/parcel/de/shipping/v2/orders", json=orders_response())

    labels.create_label(shipment.pk, dhl)

    shipment.refresh_from_db()
    assert shipment.external_id == "340434310428091700"
    assert shipment.tracking_number == "340434310428091700"
    assert shipment.status == ShipmentStatus.LABEL_CREATED
    with shipment.label.open("rb") as label:
        assert label.read() == PDF
    request = json.loads(create.calls[0].request.body)
    sent = request["shipments"][0]
    assert sent["refNo"] == f"KONTOR-{shipment.pk:08d}"
    assert sent["billingNumber"] == "33333333330102"
    assert sent["consignee"]["addressStreet"] == "Heidestrasse"
    assert sent["consignee"]["addressHouse"] == "17"
    assert sent["consignee"]["country"] == "DEU"
    headers = create.calls[0].request.headers
    assert headers["dhl-api-key"] == API_KEY
    assert headers["Authorization"].startswith("Basic ")
    assert "includeDocs=include" in create.calls[0].request.url


@responses.activate
def test_label_not_created_twice():
    order = make_order_with_address()
    dhl = make_dhl()
    shipment = make_shipment(order)
    create = responses.post(f"{API}/parcel/de/shipping/v2/orders", json=orders_response())

    labels.create_label(shipment.pk, dhl)
    labels.create_label(shipment.pk, dhl)

    assert len(create.calls) == 1


@responses.activate
def test_rejected_label_raises_and_stores_nothing():
    from integrations.errors import ValidationFailed

    order = make_order_with_address()
    dhl = make_dhl()
    shipment = make_shipment(order)
    body = orders_response()
    body["items"][0]["sstatus"] = {"title": "Bad Request", "statusCode": 400}
    body["items"][0]["validationMessages"] = [{"property": "consignee.postalCode", "validationMessage": "Invalid postal code"}]
    responses.post(f"{API}/parcel/de/shipping/v2/orders", json=body, status=400)

    with pytest.raises(ValidationFailed):
        labels.create_label(shipment.pk, dhl)

    shipment.refresh_from_db()
    assert shipment.external_id == ""
    assert not shipment.label


@responses.activate
def test_tracking_pull_applies_events_once(queued):
    order = make_order_with_address()
    dhl = make_dhl()
    shipment = Shipment.objects.create(order=order, connection=dhl, carrier="dhl", tracking_number="7777777770", external_id="7777777770")
    body = fixture("dhl", "tracking_response")["trackingResponse"]
    event = body["shipments"][0]["events"][0]
    body["shipments"][0]["events"] = [
        dict(event, statusCode="pre-transit", timestamp="2026-01-01T10:00:00+01:00"),
        dict(event, statusCode="transit", timestamp="2026-01-01T18:00:00+01:00"),
        dict(event, statusCode="delivered", timestamp="2026-01-02T11:00:00+01:00"),
    ]
    track = responses.get(f"{API}/track/shipments", json=body)

    first = tasks.pull_tracking(shipment.pk, dhl.pk)
    second = tasks.pull_tracking(shipment.pk, dhl.pk)
    process_pending()

    assert (first, second) == (3, 0)
    assert InboundEvent.objects.count() == 3
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELIVERED
    assert shipment.delivered_at.isoformat() == "2026-01-02T10:00:00+00:00"
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert "trackingNumber=7777777770" in track.calls[0].request.url
    assert "recipientPostalCode=51147" in track.calls[0].request.url


def test_naive_tracking_time_read_in_connection_zone():
    from integrations.dhl.mappers import report_from_event

    event = fixture("dhl", "tracking_response")["trackingResponse"]["shipments"][0]["events"][0]

    report = report_from_event(event, "7777777770", "Europe/Berlin")

    assert report.occurred_at.isoformat() == "2018-03-02T06:53:47+00:00"
    assert report.status == ShipmentStatus.LABEL_CREATED


def test_pulls_queued_once_per_interval(queued, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    order = make_order_with_address()
    dhl = make_dhl()
    open_shipment = Shipment.objects.create(order=order, connection=dhl, carrier="dhl", tracking_number="1")
    Shipment.objects.create(order=order, connection=dhl, carrier="dhl", tracking_number="2", status=ShipmentStatus.DELIVERED)
    cache.delete(f"dhl:tracked:{open_shipment.pk}")

    with django_capture_on_commit_callbacks(execute=True):
        first = tracking.queue_tracking_pulls(dhl.pk)
        second = tracking.queue_tracking_pulls(dhl.pk)

    assert (first, second) == (1, 0)
    assert queued == [("integrations.dhl.tasks.pull_tracking", (open_shipment.pk, dhl.pk), "hot")]


def test_schedule_installed_once():
    from django.core.management import call_command
    from django_q.models import Schedule

    call_command("dhl_schedule", minutes=5)
    call_command("dhl_schedule", minutes=10)

    schedule = Schedule.objects.get(name="dhl tracking pulls")
    assert schedule.func == "integrations.dhl.tasks.queue_tracking_pulls"
    assert schedule.minutes == 10
    assert schedule.cluster == "hot"
