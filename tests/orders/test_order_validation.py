"""Order rules: clean() names the field and value, the database rejects what slips past."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from orders.models import Order, OrderLine, OrderStatus, RoundingRule, TaxLine
from tests.factories import (
    ChannelFactory,
    DocumentFactory,
    OrderFactory,
    OrderLineFactory,
    PaymentFactory,
    RefundFactory,
    ReturnLineFactory,
    ShipmentFactory,
    ShipmentLineFactory,
    TaxLineFactory,
)

pytestmark = pytest.mark.django_db


def errors_of(instance):
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.message_dict


def assert_integrity_error(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


# Orders


def test_factory_order_is_valid():
    order = OrderFactory()

    order.full_clean()
    assert order.lines.count() == 1


def test_order_unknown_currency_named():
    order = OrderFactory.build(channel=ChannelFactory(), currency="EUX")

    errors = errors_of(order)

    assert "EUX" in errors["currency"][0]


@pytest.mark.parametrize(("currency", "total", "shown"), [("EUR", "11.905", "11.905"), ("JPY", "1190.5", "1,190.5"), ("KWD", "1.1905", "1.1905")])
def test_order_total_finer_than_currency_named(currency, total, shown):
    order = OrderFactory.build(channel=ChannelFactory(), currency=currency, total_net=Decimal(total), total_tax=Decimal(0), total_gross=Decimal(total))

    errors = errors_of(order)

    assert shown in errors["total_gross"][0]
    assert currency in errors["total_gross"][0]


def test_order_gross_must_be_net_plus_tax():
    order = OrderFactory.build(channel=ChannelFactory(), total_net=Decimal("10.00"), total_tax=Decimal("1.90"), total_gross=Decimal("12.00"))

    errors = errors_of(order)

    assert "12.00" in errors["total_gross"][0]


def test_order_totals_disagreeing_with_lines_named():
    order = OrderFactory()  # one line: 10.00 net, 1.90 tax, 11.90 gross
    order.total_net, order.total_tax, order.total_gross = Decimal("20.00"), Decimal("3.80"), Decimal("23.80")

    errors = errors_of(order)

    assert "20.00" in errors["total_net"][0]
    assert "10.00" in errors["total_net"][0]
    assert "23.80" in errors["total_gross"][0]


def test_order_totals_include_shipping():
    order = OrderFactory(
        shipping_net=Decimal("4.20"), shipping_tax=Decimal("0.80"), shipping_gross=Decimal("5.00"),
        total_net=Decimal("14.20"), total_tax=Decimal("2.70"), total_gross=Decimal("16.90"),
    )

    order.full_clean()


def test_order_per_order_rounding_rounds_sum_once():
    # Three lines of 0.3333 tax each: rounded per line 0.99, rounded once 1.00.
    line = {"total_net": Decimal("1.7544"), "total_tax": Decimal("0.3333"), "total_gross": Decimal("2.0877"), "unit_price": Decimal("2.0877")}
    order = OrderFactory(
        rounding_rule=RoundingRule.PER_ORDER, lines=[line, line, line],
        total_net=Decimal("5.26"), total_tax=Decimal("1.00"), total_gross=Decimal("6.26"),
    )

    order.full_clean()

    order.total_tax, order.total_gross = Decimal("0.99"), Decimal("6.25")
    assert "0.99" in errors_of(order)["total_tax"][0]


def test_order_tax_lines_must_add_up():
    order = OrderFactory()
    TaxLineFactory(order=order, rate=Decimal(19), net=Decimal("10.00"), tax=Decimal("1.50"))

    errors = errors_of(order)

    assert "1.50" in errors["total_tax"][0]


def test_order_status_move_not_in_state_machine_named():
    order = OrderFactory(status=OrderStatus.SHIPPED)
    order.status = OrderStatus.NEW

    errors = errors_of(order)

    assert "shipped" in errors["status"][0]
    assert "new" in errors["status"][0]


def test_order_allowed_status_move_passes_clean():
    order = OrderFactory(status=OrderStatus.NEW)
    order.status = OrderStatus.CONFIRMED

    order.full_clean()


def test_order_number_unique_per_channel():
    order = OrderFactory(external_number="1001")

    assert_integrity_error(lambda: Order.objects.create(
        channel=order.channel, external_number="1001", currency="EUR", total_net=0, total_tax=0, total_gross=0, placed_at=order.placed_at,
    ))
    OrderFactory(channel=ChannelFactory(code="other"), external_number="1001")


def test_order_negative_total_rejected():
    order = OrderFactory.build(channel=ChannelFactory(), total_net=Decimal("-1.00"), total_tax=Decimal(0), total_gross=Decimal("-1.00"))

    errors = errors_of(order)

    assert "-1.00" in errors["total_net"][0]
    assert_integrity_error(order.save)


def test_order_negative_shipping_rejected_in_database():
    order = OrderFactory()

    assert_integrity_error(lambda: Order.objects.filter(pk=order.pk).update(shipping_gross=Decimal("-0.01")))


# Lines


@pytest.mark.parametrize("quantity", ["0", "-2"])
def test_order_line_quantity_must_be_positive(quantity):
    line = OrderLineFactory.build(order=OrderFactory(lines=[]), product=None, sku="CAM-1", quantity=Decimal(quantity))

    errors = errors_of(line)

    assert quantity in errors["quantity"][0]
    assert_integrity_error(line.save)


def test_order_line_negative_unit_price_rejected():
    line = OrderLineFactory.build(order=OrderFactory(lines=[]), product=None, sku="CAM-1", unit_price=Decimal("-1"))

    errors = errors_of(line)

    assert "-1" in errors["unit_price"][0]
    assert_integrity_error(line.save)


def test_order_line_gross_must_be_net_plus_tax():
    line = OrderLineFactory.build(order=OrderFactory(lines=[]), product=None, sku="CAM-1", total_gross=Decimal("12.00"))

    errors = errors_of(line)

    assert "12.00" in errors["total_gross"][0]


def test_order_line_position_unique():
    order = OrderFactory()

    assert_integrity_error(lambda: OrderLine.objects.create(
        order=order, position=1, sku="X", quantity=1, unit_price=1, total_net=1, total_tax=0, total_gross=1,
    ))


def test_tax_line_unique_per_rate():
    tax_line = TaxLineFactory()

    assert_integrity_error(lambda: TaxLine.objects.create(order=tax_line.order, rate=tax_line.rate, net=0, tax=0))


# Payments, shipments, documents, returns


def test_payment_amount_finer_than_currency_named():
    payment = PaymentFactory.build(order=OrderFactory(currency="JPY", lines=[{"unit_price": 1190, "total_net": 1000, "total_tax": 190, "total_gross": 1190}], total_net=1000, total_tax=190, total_gross=1190), amount=Decimal("1190.5"))

    errors = errors_of(payment)

    assert "1,190.5" in errors["amount"][0]


def test_payment_refund_beyond_amount_rejected():
    payment = PaymentFactory.build(order=OrderFactory(), refunded_amount=Decimal("20.00"))

    errors = errors_of(payment)

    assert "20.00" in errors["refunded_amount"][0]
    assert_integrity_error(payment.save)


def test_payment_unique_per_provider_id():
    payment = PaymentFactory()

    assert_integrity_error(lambda: PaymentFactory(order=payment.order, external_id=payment.external_id))


def test_refund_currency_must_match_payment():
    refund = RefundFactory.build(payment=PaymentFactory(), currency="USD")

    errors = errors_of(refund)

    assert "USD" in errors["currency"][0]


def test_refund_amount_positive():
    refund = RefundFactory.build(payment=PaymentFactory(), amount=Decimal(0))

    assert "0" in errors_of(refund)["amount"][0]
    assert_integrity_error(refund.save)


def test_shipment_line_beyond_ordered_quantity_named():
    shipment = ShipmentFactory()
    line = ShipmentLineFactory.build(shipment=shipment, order_line=shipment.order.lines.get(), quantity=Decimal(3))

    errors = errors_of(line)

    assert "3" in errors["quantity"][0]


def test_shipment_line_quantity_positive_in_database():
    shipment = ShipmentFactory()
    line = ShipmentLineFactory.build(shipment=shipment, order_line=shipment.order.lines.get(), quantity=Decimal(0))

    assert_integrity_error(line.save)


def test_shipment_delivered_before_shipped_rejected():
    shipment = ShipmentFactory.build(
        order=OrderFactory(), shipped_at=datetime(2026, 11, 28, tzinfo=UTC), delivered_at=datetime(2026, 11, 27, tzinfo=UTC)
    )

    assert "delivered_at" in errors_of(shipment)


def test_shipment_tracking_number_unique_per_carrier():
    shipment = ShipmentFactory(tracking_number="JJD0001")

    assert_integrity_error(lambda: ShipmentFactory(order=shipment.order, carrier=shipment.carrier, tracking_number="JJD0001"))
    ShipmentFactory(order=shipment.order, carrier=shipment.carrier, tracking_number="")
    ShipmentFactory(order=shipment.order, carrier=shipment.carrier, tracking_number="")


def test_document_amounts_without_currency_rejected():
    document = DocumentFactory.build(order=OrderFactory(), currency="")

    assert "currency" in errors_of(document)


def test_document_gross_must_be_net_plus_tax():
    document = DocumentFactory.build(order=OrderFactory(), amount_gross=Decimal("12.00"))

    assert "12.00" in errors_of(document)["amount_gross"][0]


def test_document_number_unique_per_kind():
    document = DocumentFactory(number="RE-1")

    assert_integrity_error(lambda: DocumentFactory(order=document.order, number="RE-1"))
    DocumentFactory(order=document.order, number="RE-1", kind="credit_note")


def test_return_line_beyond_ordered_quantity_named():
    line = ReturnLineFactory.build(return_request=ReturnLineFactory().return_request, quantity=Decimal(5))
    line.order_line = line.return_request.order.lines.get()

    errors = errors_of(line)

    assert "5" in errors["quantity"][0]
