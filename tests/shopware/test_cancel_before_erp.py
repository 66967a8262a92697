"""A shop cancellation of an order that the ERP has not received yet.

The ERP leads the order status, so a shop cancellation of an order the ERP has is a conflict
for the merchant. An order whose ERP message no attempt may have brought to the ERP (none was
made, or each met an outage) is not there, so its message is withdrawn and the cancellation is
applied, with no conflict to clear by hand.
"""

import pytest
from django.utils import timezone, translation

from integrations.models import Conflict, Connection, InboundEvent, OutboundMessage, OutboundState
from integrations.odoo.routes import set_up_shop_and_erp
from integrations.sandbox.shopware.state import DEFAULT_SHOP_SECRET
from integrations.services.batches import claim_due_messages
from integrations.services.bindings import bind
from integrations.services.inbox import process_inbound_event
from integrations.services.outbox import withdraw_unsent
from integrations.shopware import webhooks
from orders.models import Order, OrderStatus
from orders.services import cancel_before_leader_has_it
from tests.shopware.test_webhooks import KNOWN_GOOD_SIGNATURE, fixture_bytes, post_hook

pytestmark = pytest.mark.django_db


@pytest.fixture
def erp(connection):
    erp = Connection.objects.create(kind="odoo", name="Odoo", slug="odoo", base_url="http://odoo.invalid")
    set_up_shop_and_erp(connection, erp)
    return erp


def place_order(client):
    post_hook(client, fixture_bytes("checkout.order.placed"), KNOWN_GOOD_SIGNATURE)
    process_inbound_event(InboundEvent.objects.order_by("-pk").first().pk)
    return Order.objects.get()


def cancel_in_shop(client):
    body = fixture_bytes("state_enter.order.state.cancelled")
    post_hook(client, body, webhooks.signature(body, DEFAULT_SHOP_SECRET))
    event = InboundEvent.objects.order_by("-pk").first()
    process_inbound_event(event.pk)
    return event


def erp_message(erp, order):
    return OutboundMessage.objects.get(connection=erp, entity="orders", object_id=str(order.pk))


def test_shop_cancel_withdraws_waiting_message(client, connection, erp, make_product):
    product = make_product("SW-TEST-1", on_hand=5)
    order = place_order(client)
    assert erp_message(erp, order).state == OutboundState.PENDING
    assert product.stock_levels.get().reserved == 2

    cancel_in_shop(client)

    order.refresh_from_db()
    assert order.status == "cancelled"
    assert erp_message(erp, order).state == OutboundState.WITHDRAWN
    assert Conflict.objects.count() == 0
    assert order.needs_attention is False
    assert product.stock_levels.get().reserved == 0

    change = order.status_history.get(to_status="cancelled")
    assert change.connection_id == connection.pk
    assert change.note_translations["en"] == "Cancelled in Shopware DE before the order was sent to Odoo, so it was not sent"
    assert change.note_translations["de"] == "In Shopware DE storniert, bevor die Bestellung an Odoo ging, daher nicht gesendet"


def test_withdrawn_message_is_never_claimed(client, connection, erp, make_product):
    make_product("SW-TEST-1", on_hand=5)
    order = place_order(client)
    cancel_in_shop(client)

    OutboundMessage.objects.filter(pk=erp_message(erp, order).pk).update(next_attempt_at=timezone.now())
    claimed = claim_due_messages(erp_message(erp, order).lane, entities=["orders"])

    assert claimed == []
    assert erp_message(erp, order).attempts == 0


@pytest.mark.parametrize(
    ("state", "attempts", "error_code", "may_have_reached"),
    [
        # Taken by a worker that may be sending it right now.
        (OutboundState.IN_FLIGHT, 1, "", False),
        # Sent once and timed out: Odoo may have created the sale order before the timeout.
        (OutboundState.PENDING, 1, "timeout", True),
        # Retried from the admin, which resets the count but keeps what the attempts noted.
        (OutboundState.PENDING, 0, "server_error", True),
        # Replaced by a newer version after an attempt that may have reached Odoo.
        (OutboundState.SUPERSEDED, 1, "timeout", True),
        (OutboundState.DELIVERED, 1, "", True),
        (OutboundState.FAILED, 5, "validation_failed", True),
    ],
)
def test_cancel_of_order_maybe_in_erp_is_conflict(client, connection, erp, make_product, state, attempts, error_code, may_have_reached):
    product = make_product("SW-TEST-1", on_hand=5)
    order = place_order(client)
    OutboundMessage.objects.filter(pk=erp_message(erp, order).pk).update(
        state=state, attempts=attempts, error_code=error_code, last_error="earlier failure" if error_code else "",
        may_have_reached=may_have_reached,
    )

    event = cancel_in_shop(client)

    order.refresh_from_db()
    assert order.status == "new"
    assert erp_message(erp, order).state == state
    conflict = Conflict.objects.get(object_id=str(order.pk))
    assert (conflict.field, conflict.incoming_value, conflict.inbound_event_id) == ("status", "cancelled", event.pk)
    assert order.needs_attention is True
    assert product.stock_levels.get().reserved == 2


def test_conflict_note_while_order_on_its_way(client, connection, erp, make_product):
    make_product("SW-TEST-1", on_hand=5)
    order = place_order(client)
    # Timed out once: Odoo may have the order, but has not confirmed it.
    OutboundMessage.objects.filter(pk=erp_message(erp, order).pk).update(attempts=1, error_code="timeout", may_have_reached=True)

    cancel_in_shop(client)

    order.refresh_from_db()
    notes = order.attention_note_translations
    assert notes["en"].startswith("Cancelled in Shopware DE while the order was on its way to Odoo.")
    assert "Once the order shows in Odoo, cancel it there" in notes["en"]
    assert notes["de"].startswith("In Shopware DE storniert, während die Bestellung unterwegs zu Odoo war.")
    assert notes["de"].endswith("führen Sie „Als erledigt markieren“ aus.")


def test_conflict_note_once_order_in_erp(client, connection, erp, make_product):
    make_product("SW-TEST-1", on_hand=5)
    order = place_order(client)
    OutboundMessage.objects.filter(pk=erp_message(erp, order).pk).update(
        state=OutboundState.DELIVERED, attempts=1, may_have_reached=True
    )

    cancel_in_shop(client)

    order.refresh_from_db()
    assert order.attention_note_translations["en"].startswith("Cancelled in Shopware DE, but Odoo leads the order status")


def test_cancel_of_order_bound_in_erp_is_conflict(client, connection, erp, make_product):
    make_product("SW-TEST-1", on_hand=5)
    order = place_order(client)
    # Bound while its message still shows pending, as between Odoo's response and the recorded outcome.
    bind(erp, order, "42")

    cancel_in_shop(client)

    order.refresh_from_db()
    assert order.status == "new"
    assert erp_message(erp, order).state == OutboundState.PENDING
    assert Conflict.objects.filter(object_id=str(order.pk)).count() == 1


def test_uncancellable_order_keeps_waiting_message(client, connection, erp, make_product):
    # A shipped order cannot be cancelled, so its message must not be withdrawn either.
    make_product("SW-TEST-1", on_hand=5)
    order = place_order(client)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.SHIPPED)

    change = cancel_before_leader_has_it(order.pk, erp, actor="test", note="cancel")

    assert change is None
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert erp_message(erp, order).state == OutboundState.PENDING


def test_withdraw_unsent_answers_false_without_messages(connection, erp, make_product):
    # With no message Kontor cannot tell whether the ERP has the record from elsewhere.
    product = make_product("SW-TEST-1")

    assert withdraw_unsent(product, erp, "orders") is False


def test_withdrawn_state_is_translated():
    with translation.override("de"):
        assert str(OutboundState.WITHDRAWN.label) == "zurückgezogen"


def run_order_action(staff_client, action, order, language="en"):
    """Run an order list action as a support person; return the messages the admin shows."""
    response = staff_client.post(
        "/admin/orders/order/", {"action": action, "_selected_action": [order.pk]}, follow=True, headers={"accept-language": language}
    )
    assert response.status_code == 200
    return [str(message) for message in response.context["messages"]]


def test_admin_cancel_withdraws_waiting_message(client, staff_client, connection, erp, make_product):
    product = make_product("SW-TEST-1", on_hand=5)
    order = place_order(client)

    messages = run_order_action(staff_client, "mark_cancelled", order)

    order.refresh_from_db()
    assert order.status == "cancelled"
    assert erp_message(erp, order).state == OutboundState.WITHDRAWN
    assert product.stock_levels.get().reserved == 0
    change = order.status_history.get(to_status="cancelled")
    assert change.note_translations["en"] == "Cancelled in Kontor before the order was sent to Odoo, so it was not sent"
    assert change.note_translations["de"] == "In Kontor storniert, bevor die Bestellung an Odoo ging, daher nicht gesendet"
    assert messages[-1] == "1 order moved to cancelled."


@pytest.mark.parametrize(("action", "bound"), [("mark_cancelled", True), ("mark_confirmed", False), ("mark_shipped", True)])
def test_admin_status_change_rejected_erp_leads(client, staff_client, connection, erp, make_product, action, bound):
    product = make_product("SW-TEST-1", on_hand=5)
    order = place_order(client)
    if bound:
        bind(erp, order, "42")

    messages = run_order_action(staff_client, action, order, language="de")

    order.refresh_from_db()
    assert order.status == "new"
    assert erp_message(erp, order).state == OutboundState.PENDING
    assert product.stock_levels.get().reserved == 2
    assert messages[0] == (
        "Odoo führt den Status der Bestellung 10042 und hat sie womöglich schon, daher hat Kontor ihn nicht geändert. "
        "Ändern Sie den Status in Odoo; Kontor übernimmt ihn von dort."
    )


def test_admin_cancel_without_a_leading_erp_cancels(client, staff_client, connection, make_product):
    product = make_product("SW-TEST-1", on_hand=5)
    order = place_order(client)

    run_order_action(staff_client, "mark_cancelled", order)

    order.refresh_from_db()
    assert order.status == "cancelled"
    assert product.stock_levels.get().reserved == 0
