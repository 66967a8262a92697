"""The carrier simulations end to end: labels from the sandbox, tracking and webhooks back."""

import pytest
import responses

from integrations.dhl import labels as dhl_labels
from integrations.dhl import tasks as dhl_tasks
from integrations.models import Direction, OutboundMessage
from integrations.sandbox.faults import update_faults
from integrations.sandbox.testing import route_to_django
from integrations.sandbox.webhooks import flush_held
from integrations.sendcloud import labels as sendcloud_labels
from orders.models import OrderStatus, Shipment, ShipmentStatus
from tests.payments.support import make_connection, process_pending
from tests.shipping.support import SENDCLOUD_SECRET, make_order_with_address

pytestmark = pytest.mark.django_db

HOST = "http://testserver"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def sandbox():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield route_to_django(rsps)


def test_dhl_label_and_tracking_through_sandbox(sandbox, queued):
    order = make_order_with_address()
    dhl = make_connection(
        "dhl", "dhl", {"api_key": "sandbox-key", "username": "user-valid", "password": "pass", "billing_number": "33333333330102"},
        base_url=f"{HOST}/sandbox/shipping/dhl",
    )
    shipment = Shipment.objects.create(order=order, carrier="dhl")

    dhl_labels.create_label(shipment.pk, dhl)
    shipment.refresh_from_db()
    for code in ("transit", "delivered"):
        sandbox.post(f"/sandbox/shipping/dhl/_shipments/{shipment.tracking_number}/events", {"statusCode": code}, content_type="application/json")
    new_events = dhl_tasks.pull_tracking(shipment.pk, dhl.pk)
    process_pending()

    assert shipment.tracking_number.startswith("00340434")
    with shipment.label.open("rb") as label:
        assert label.read(5) == b"%PDF-"
    assert new_events == 3
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELIVERED
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED


def test_sendcloud_parcel_label_and_reordered_webhooks(sandbox, queued):
    order = make_order_with_address()
    sendcloud = make_connection(
        "sendcloud", "sendcloud", {"public_key": "pub", "secret_key": SENDCLOUD_SECRET, "shipping_method_id": "8"},
        base_url=f"{HOST}/sandbox/shipping/sendcloud",
    )
    make_connection("payment-erp", "shop", {}, entities=("shipments",), direction=Direction.OUT)
    shipment = Shipment.objects.create(order=order, carrier="dhl")
    update_faults("shipping", {"reorder_webhooks": True})

    sendcloud_labels.create_label(shipment.pk, sendcloud)
    shipment.refresh_from_db()
    for status_id in (3, 11):
        sandbox.post(
            f"/sandbox/shipping/sendcloud/_parcels/{shipment.external_id}/status",
            {"status_id": status_id, "url": f"{HOST}/hooks/sendcloud/", "secret": SENDCLOUD_SECRET},
            content_type="application/json",
        )
    flush_held("shipping")
    process_pending()

    with shipment.label.open("rb") as label:
        assert label.read(5) == b"%PDF-"
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELIVERED
    assert OutboundMessage.objects.filter(entity="shipments").count() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED


def test_sendcloud_label_not_created_twice(sandbox, queued):
    order = make_order_with_address()
    sendcloud = make_connection("sendcloud", "sendcloud", {"public_key": "pub", "secret_key": "s"}, base_url=f"{HOST}/sandbox/shipping/sendcloud")
    shipment = Shipment.objects.create(order=order, carrier="dhl")

    first = sendcloud_labels.create_label(shipment.pk, sendcloud).external_id
    # A lost answer: the parcel exists at Sendcloud but Kontor did not store its id.
    Shipment.objects.filter(pk=shipment.pk).update(external_id="")
    second = sendcloud_labels.create_label(shipment.pk, sendcloud).external_id

    listing = sandbox.get("/sandbox/shipping/sendcloud/api/v2/parcels", headers={"Authorization": "Basic eDp5"}).json()
    assert first == second
    assert len(listing["parcels"]) == 1


def test_label_shown_on_shipment_admin_page(sandbox, queued, admin_client):
    order = make_order_with_address()
    sendcloud = make_connection("sendcloud", "sendcloud", {"public_key": "pub", "secret_key": "s"}, base_url=f"{HOST}/sandbox/shipping/sendcloud")
    shipment = Shipment.objects.create(order=order, carrier="dhl")
    sendcloud_labels.create_label(shipment.pk, sendcloud)
    shipment.refresh_from_db()

    page = admin_client.get(f"/admin/orders/shipment/{shipment.pk}/change/")

    assert page.status_code == 200
    assert shipment.label.url in page.content.decode()
