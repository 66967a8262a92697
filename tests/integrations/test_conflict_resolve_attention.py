"""Marking an order's conflicts resolved takes the flag off the order, unless another conflict is open.

A shop cancellation that became a conflict flags its order, and its note has support decide
in the ERP and then mark the conflict resolved. A trial found the order still flagged afterwards.
"""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import translation

from core.translation import Translatable
from integrations.models import Conflict, Connection
from orders.models import Order
from orders.services import set_attention_note
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return Connection.objects.create(kind="shopware", name="Shop DE", slug="shop-de", base_url="https://shop.example.com")


def flagged_order(number):
    order = OrderFactory(external_number=number)
    order.save(update_fields=set_attention_note(order, Translatable("Cancelled in the shop; cancel it in Odoo.")))
    return order


def conflict_on(order, shop, field="status"):
    return Conflict.objects.create(
        connection=shop, content_type=ContentType.objects.get_for_model(Order), object_id=str(order.pk), domain="orders",
        field_group="status", field=field, current_value="new", incoming_value="cancelled",
    )


def mark_resolved(staff_client, conflicts):
    response = staff_client.post(
        "/admin/integrations/conflict/", {"action": "mark_resolved", "_selected_action": [conflict.pk for conflict in conflicts]},
        follow=True,
    )
    assert response.status_code == 200


def test_resolving_last_conflict_clears_flag(staff_client, shop):
    order = flagged_order("10237")
    conflict = conflict_on(order, shop)

    mark_resolved(staff_client, [conflict])

    order.refresh_from_db()
    conflict.refresh_from_db()
    assert conflict.resolved is True
    assert order.needs_attention is False
    assert order.attention_note_translations["en"] == (
        "Cancelled in the shop; cancel it in Odoo.\nadmin marked the order's conflicts resolved."
    )
    with translation.override("de"):
        assert order.attention_note_translations["de"].endswith("admin hat die Konflikte der Bestellung als erledigt markiert.")


def test_other_open_conflict_keeps_flag(staff_client, shop):
    order = flagged_order("10238")
    first = conflict_on(order, shop)
    conflict_on(order, shop, field="shipping_address.city")

    mark_resolved(staff_client, [first])

    order.refresh_from_db()
    assert order.needs_attention is True
    assert order.attention_note == "Cancelled in the shop; cancel it in Odoo."


def test_only_orders_of_resolved_conflicts_change(staff_client, shop):
    resolved = flagged_order("10239")
    untouched = flagged_order("10240")
    conflict = conflict_on(resolved, shop)
    conflict_on(untouched, shop)

    mark_resolved(staff_client, [conflict])

    resolved.refresh_from_db()
    untouched.refresh_from_db()
    assert (resolved.needs_attention, untouched.needs_attention) == (False, True)
