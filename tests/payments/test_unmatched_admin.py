import pytest

from integrations.models import InboundEvent, InboundState, SyncError
from orders.models import Payment, PaymentState, Shipment
from tests.payments.stripe_support import make_stripe, post_event, stripe_event
from tests.payments.support import make_order, process_pending
from tests.shipping.support import (
    make_order_with_address,
    make_sendcloud,
    parcel_event,
    post_parcel_event,
)

pytestmark = pytest.mark.django_db

URL = "/admin/stripe/unmatchedproviderevent/"


def unmatched_stripe_payment(client):
    stripe = make_stripe()
    post_event(client, stripe, stripe_event("payment_intent.succeeded", metadata={"order_number": "WRONG-1"}))
    post_event(client, stripe, stripe_event("charge.refunded", metadata={"order_number": "WRONG-1"}))
    process_pending()
    return InboundEvent.objects.order_by("pk").first()


def test_unmatched_list_shows_reason(admin_client, client, queued):
    unmatched_stripe_payment(client)

    response = admin_client.get(URL)

    assert response.status_code == 200
    content = response.content.decode()
    assert "pi_1PgafyB7WZ01zgkWSjxsAJo3" in content
    assert "WRONG-1" in content


def test_rematch_links_payment_and_reprocesses_all_its_events(admin_client, client, queued):
    order = make_order("1001")
    event = unmatched_stripe_payment(client)
    assert InboundEvent.objects.filter(state=InboundState.FAILED).count() == 2

    response = admin_client.post(URL, {"action": "rematch_selected", "_selected_action": [event.pk], "order": order.pk})
    process_pending()

    assert response.status_code == 302
    payment = Payment.objects.get()
    assert payment.order == order
    assert payment.captured_amount == 20
    assert payment.refunded_amount == 5
    order.refresh_from_db()
    assert order.payment_state == PaymentState.PARTIALLY_REFUNDED
    assert set(InboundEvent.objects.values_list("state", flat=True)) == {InboundState.PROCESSED}
    assert SyncError.objects.filter(resolved=False).count() == 0


def test_rematch_form_shown_before_linking(admin_client, client, queued):
    event = unmatched_stripe_payment(client)

    response = admin_client.post(URL, {"action": "rematch_selected", "_selected_action": [event.pk]})

    assert response.status_code == 200
    assert b"Kontor order id" in response.content
    assert Payment.objects.count() == 0


def test_reprocess_after_order_arrives(admin_client, client, queued):
    event = unmatched_stripe_payment(client)
    order = make_order("WRONG-1")

    admin_client.post(URL, {"action": "reprocess_selected", "_selected_action": [event.pk]})
    process_pending()

    order.refresh_from_db()
    assert order.payment_state == PaymentState.PAID
    assert Payment.objects.get().order == order


def test_rematch_parcel_creates_shipment(admin_client, client, queued):
    sendcloud = make_sendcloud()
    payload = parcel_event(3, 1767265200000)
    payload["parcel"]["order_number"] = "LOST-7"
    post_parcel_event(client, sendcloud, payload)
    process_pending()
    order = make_order_with_address("1001")
    event = InboundEvent.objects.get()

    admin_client.post(URL, {"action": "rematch_selected", "_selected_action": [event.pk], "order": order.pk})
    process_pending()

    shipment = Shipment.objects.get()
    assert shipment.order == order
    assert shipment.status == "in_transit"
    assert shipment.tracking_number == "JVGL0612345678901234"


def test_view_only_staff_cannot_rematch(client, queued, django_user_model):
    from django.contrib.auth.models import Permission

    order = make_order("1001")
    event = unmatched_stripe_payment(client)
    viewer = django_user_model.objects.create_user("viewer", password="pw-0123456789", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_unmatchedproviderevent"))
    client.force_login(viewer)

    listing = client.get(URL)
    client.post(URL, {"action": "rematch_selected", "_selected_action": [event.pk], "order": order.pk})

    assert listing.status_code == 200
    assert Payment.objects.count() == 0
