"""A shop cancellation that became a conflict is settled once Odoo cancels the order too.

The conflict's note asks the merchant to cancel the order in Odoo and mark the conflict
resolved. When Odoo reports the cancellation, Kontor resolves the conflict itself and takes
the flag off the order, so support is not sent to a solved case.
"""

import pytest
from django.contrib.contenttypes.models import ContentType

from core.translation import Translatable
from integrations.models import Conflict
from integrations.sandbox.odoo.views import run_control_action
from integrations.services.delivery import deliver_message
from orders.models import Order, OrderStatus
from orders.services import set_attention_note
from tests.odoo.conftest import make_odoo_connection
from tests.odoo.helpers import line, make_pair, make_product, order_message, place_order
from tests.odoo.test_stock_and_status import settle

pytestmark = pytest.mark.django_db


def conflict_for(order, shop_connection, erp, incoming):
    return Conflict.objects.create(
        connection=shop_connection, content_type=ContentType.objects.get_for_model(Order), object_id=str(order.pk),
        domain="orders", field_group="status", field="status", current_value=order.status, incoming_value=incoming,
        leading_connection=erp,
    )


@pytest.fixture
def order_in_odoo(sandbox):
    erp = make_odoo_connection(confirm_orders="false")
    channel, shop_connection = make_pair(erp)
    make_product("CAM-1", on_hand=0, odoo_quantity=5)
    settle(erp)
    order = place_order(channel, shop_connection, "30007", [line("CAM-1", 2, gross="23.80", net="20.00", tax="3.80")])
    deliver_message(order_message(order, erp).pk)
    settle(erp)
    return order, shop_connection, erp


def test_odoo_cancellation_settles_the_shop_cancellation_conflict(order_in_odoo):
    order, shop_connection, erp = order_in_odoo
    cancelled = conflict_for(order, shop_connection, erp, "cancelled")
    other = conflict_for(order, shop_connection, erp, "shipped")
    order.save(update_fields=set_attention_note(order, Translatable("Cancelled in the shop; cancel it in Odoo.")))

    run_control_action({"action": "cancel", "sale_order": "30007"})
    settle(erp)

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    cancelled.refresh_from_db()
    other.refresh_from_db()
    assert (cancelled.resolved, other.resolved) == (True, False)
    assert order.needs_attention is False
    assert order.attention_note_translations["en"] == (
        f"Cancelled in the shop; cancel it in Odoo.\n{erp.name} has cancelled the order as well, so the cancellation "
        "from the shop is settled."
    )
    assert order.attention_note_translations["de"].endswith(
        f"{erp.name} hat die Bestellung ebenfalls storniert, damit ist die Stornierung aus dem Shop erledigt."
    )


def test_odoo_cancel_without_conflict_keeps_note(order_in_odoo):
    order, _shop_connection, erp = order_in_odoo
    order.save(update_fields=set_attention_note(order, "Customer asked for a gift wrap."))

    run_control_action({"action": "cancel", "sale_order": "30007"})
    settle(erp)

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert (order.needs_attention, order.attention_note) == (True, "Customer asked for a gift wrap.")
