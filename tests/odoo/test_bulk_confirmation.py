"""confirm_orders moves many new orders at once and leaves orders that changed meanwhile to the full rules."""

from decimal import Decimal

import pytest

from catalog.models import StockLevel, StockReservation
from integrations.odoo.inbound import confirm_orders
from orders.models import Order, OrderStatus, OrderStatusChange
from orders.services import transition_order
from tests.odoo.conftest import make_odoo_connection
from tests.odoo.helpers import install_recording_shop, line, make_pair, make_product, place_order

pytestmark = pytest.mark.django_db


def test_new_orders_confirmed_and_handed_over(sandbox):
    install_recording_shop()
    erp = make_odoo_connection()
    channel, shop = make_pair(erp)
    make_product("BC-1", on_hand=10)
    orders = [place_order(channel, shop, f"BC{number}", [line("BC-1", 2, gross="23.80", net="20.00", tax="3.80")]) for number in range(3)]

    confirmed = confirm_orders(erp, [(order, f"S0{number}") for number, order in enumerate(orders)])

    assert [order.pk for order in confirmed] == [order.pk for order in orders]
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.CONFIRMED}
    notes = dict(OrderStatusChange.objects.filter(to_status=OrderStatus.CONFIRMED).values_list("order_id", "note"))
    assert notes == {order.pk: f'Odoo sale order S0{number} has the status "Sales Order".' for number, order in enumerate(orders)}
    german = dict(OrderStatusChange.objects.filter(to_status=OrderStatus.CONFIRMED).values_list("order_id", "note_translations__de"))
    assert german == {order.pk: f"Odoo-Verkaufsauftrag S0{number} hat den Status „Verkaufsauftrag“." for number, order in enumerate(orders)}
    assert set(StockReservation.objects.values_list("state", flat=True)) == {"released"}
    level = StockLevel.objects.get(product__sku="BC-1")
    assert level.reserved == Decimal("0")


def test_orders_changed_meanwhile_follow_transition_rules(sandbox):
    install_recording_shop()
    erp = make_odoo_connection()
    channel, shop = make_pair(erp)
    make_product("BC-2", on_hand=10)
    waiting, cancelled, confirmed_elsewhere = (
        place_order(channel, shop, number, [line("BC-2", 1)]) for number in ("BC-W", "BC-C", "BC-E")
    )
    # Read as new, then cancelled and confirmed by other workers before the batch records them.
    transition_order(cancelled.pk, OrderStatus.CANCELLED, actor="test")
    transition_order(confirmed_elsewhere.pk, OrderStatus.CONFIRMED, actor="test")

    confirmed = confirm_orders(erp, [(waiting, "S1"), (cancelled, "S2"), (confirmed_elsewhere, "S3")])

    assert [order.pk for order in confirmed] == [waiting.pk, confirmed_elsewhere.pk]
    assert Order.objects.get(pk=cancelled.pk).status == OrderStatus.CANCELLED
    assert Order.objects.get(pk=waiting.pk).status == OrderStatus.CONFIRMED
    assert OrderStatusChange.objects.filter(order=cancelled, to_status=OrderStatus.CONFIRMED).count() == 0
    assert OrderStatusChange.objects.filter(order=confirmed_elsewhere, to_status=OrderStatus.CONFIRMED).count() == 1
    # The order confirmed elsewhere still had its reservation; Odoo now has that stock.
    assert StockReservation.objects.get(order_line__order=confirmed_elsewhere).state == "released"
    assert StockReservation.objects.get(order_line__order=waiting).state == "released"


def test_state_label_in_note():
    from django.utils import translation

    from integrations.odoo.inbound import _sale_order_note

    with translation.override("de"):
        assert str(_sale_order_note("S1", "cancel")) == "Odoo-Verkaufsauftrag S1 hat den Status „Storniert“."
        # A state that an Odoo module adds is shown as Odoo sent it.
        assert str(_sale_order_note("S1", "to approve")) == "Odoo-Verkaufsauftrag S1 hat den Status „to approve“."
