"""Two writers of the same change at the same moment: one change, one history row, one message."""

import threading
from decimal import Decimal

import pytest
from django.db import connections

from integrations.models import OutboundMessage
from orders.models import OrderStatus, OrderStatusChange, Payment, PaymentState, PaymentStatus
from orders.payments import OrderReference, PaymentReport
from orders.services import transition_order
from orders.services_payments import apply_payment_report
from tests.payments.support import make_erp, make_order

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(*calls):
    """Run the calls in threads released by one barrier; return their results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # noqa: BLE001 (the test asserts on it)
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def succeeded_report():
    return PaymentReport(
        provider="stripe",
        external_id="pi_race",
        currency="EUR",
        amount=Decimal("20.00"),
        status=PaymentStatus.CAPTURED,
        captured_amount=Decimal("20.00"),
        order=OrderReference(order_number="1001"),
    )


def test_return_page_and_webhook_pay_once(queued):
    order = make_order("1001")
    make_erp()

    results = run_together(
        lambda: apply_payment_report(succeeded_report(), actor="shop return page"),
        lambda: apply_payment_report(succeeded_report(), actor="stripe webhook"),
    )

    assert sorted(results) == ["created", "skipped"]
    assert Payment.objects.count() == 1
    assert OutboundMessage.objects.filter(entity="payments").count() == 1
    order.refresh_from_db()
    assert order.payment_state == PaymentState.PAID


def test_same_transition_twice_one_history_row(queued):
    order = make_order("1002")
    transition_order(order.pk, OrderStatus.CONFIRMED, actor="erp")

    results = run_together(
        lambda: transition_order(order.pk, OrderStatus.SHIPPED, actor="dhl tracking"),
        lambda: transition_order(order.pk, OrderStatus.SHIPPED, actor="sendcloud webhook"),
    )

    assert sum(result is None for result in results) == 1
    assert OrderStatusChange.objects.filter(order=order, to_status=OrderStatus.SHIPPED).count() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED


def test_two_carrier_reports_confirm_shipping_once(queued):
    from datetime import UTC, datetime

    from integrations.models import Direction
    from orders.models import Shipment, ShipmentStatus
    from orders.services_shipments import apply_shipment_report
    from orders.shipments import ShipmentReport
    from tests.payments.support import make_connection

    order = make_order("1003")
    make_connection("payment-erp", "shop", {}, entities=("shipments",), direction=Direction.OUT)
    Shipment.objects.create(order=order, carrier="dhl", tracking_number="JJD0001")

    def report(status, hour):
        return ShipmentReport(carrier="dhl", tracking_number="JJD0001", status=status, occurred_at=datetime(2026, 1, 2, hour, tzinfo=UTC))

    results = run_together(
        lambda: apply_shipment_report(report(ShipmentStatus.IN_TRANSIT, 8), actor="dhl tracking"),
        lambda: apply_shipment_report(report(ShipmentStatus.DELIVERED, 12), actor="dhl tracking"),
    )

    assert sorted(results) == ["updated", "updated"]
    assert OutboundMessage.objects.filter(entity="shipments").count() == 1
    assert Shipment.objects.get().status == ShipmentStatus.DELIVERED
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert OrderStatusChange.objects.filter(order=order, to_status=OrderStatus.DELIVERED).count() == 1


def test_first_reports_without_tracking_number_create_one_shipment(queued):
    from datetime import UTC, datetime

    from orders.models import Shipment, ShipmentEvent, ShipmentStatus
    from orders.payments import OrderReference
    from orders.services_shipments import apply_shipment_report
    from orders.shipments import ShipmentReport
    from tests.shipping.support import make_sendcloud

    make_order("1004")
    sendcloud = make_sendcloud()

    def report(status, hour):
        return ShipmentReport(
            carrier="sendcloud", external_id="parcel-77", status=status,
            occurred_at=datetime(2026, 1, 2, hour, tzinfo=UTC), order=OrderReference(order_number="1004"),
        )

    results = run_together(
        lambda: apply_shipment_report(report(ShipmentStatus.LABEL_CREATED, 8), connection=sendcloud, actor="sendcloud webhook"),
        lambda: apply_shipment_report(report(ShipmentStatus.HANDED_OVER, 9), connection=sendcloud, actor="sendcloud webhook"),
    )

    assert sorted(results) == ["created", "updated"]
    assert Shipment.objects.count() == 1
    assert ShipmentEvent.objects.count() == 2
    assert Shipment.objects.get().status == ShipmentStatus.HANDED_OVER
