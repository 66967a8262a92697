"""The order status state machine, written out as a table and checked pair by pair."""

import pytest

from orders.models import OrderStatus, OrderStatusChange
from orders.models.status import can_transition
from orders.services import InvalidTransition, transition_order
from tests.factories import OrderFactory

S = OrderStatus

# Every allowed move. An order may skip forward along its normal path, may be cancelled until
# it ships and returned once it has shipped; cancelled and returned are final.
ALLOWED = {
    S.NEW: {S.CONFIRMED, S.IN_FULFILMENT, S.PARTIALLY_SHIPPED, S.SHIPPED, S.DELIVERED, S.COMPLETED, S.CANCELLED},
    S.CONFIRMED: {S.IN_FULFILMENT, S.PARTIALLY_SHIPPED, S.SHIPPED, S.DELIVERED, S.COMPLETED, S.CANCELLED},
    S.IN_FULFILMENT: {S.PARTIALLY_SHIPPED, S.SHIPPED, S.DELIVERED, S.COMPLETED, S.CANCELLED},
    S.PARTIALLY_SHIPPED: {S.SHIPPED, S.DELIVERED, S.COMPLETED},
    S.SHIPPED: {S.DELIVERED, S.COMPLETED, S.RETURNED},
    S.DELIVERED: {S.COMPLETED, S.RETURNED},
    S.COMPLETED: {S.RETURNED},
    S.CANCELLED: set(),
    S.RETURNED: set(),
}

ALLOWED_PAIRS = [(source, target) for source, targets in ALLOWED.items() for target in sorted(targets)]

# Forbidden moves that are not late reports of an earlier step, so the service raises.
REJECTED_PAIRS = [
    (S.CANCELLED, S.CONFIRMED),
    (S.CANCELLED, S.SHIPPED),
    (S.RETURNED, S.CANCELLED),
    (S.PARTIALLY_SHIPPED, S.CANCELLED),
    (S.SHIPPED, S.CANCELLED),
    (S.COMPLETED, S.CANCELLED),
    (S.NEW, S.RETURNED),
    (S.IN_FULFILMENT, S.RETURNED),
]

# Late reports of a step the order already passed: recorded, not applied.
BACKWARDS_PAIRS = [(S.SHIPPED, S.CONFIRMED), (S.DELIVERED, S.SHIPPED), (S.COMPLETED, S.NEW), (S.RETURNED, S.DELIVERED)]


@pytest.mark.parametrize("source", list(S))
@pytest.mark.parametrize("target", list(S))
def test_transition_table(source, target):
    assert can_transition(source, target) is (target in ALLOWED[source])


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "target"), ALLOWED_PAIRS)
def test_allowed_transition_applies_and_records(source, target):
    order = OrderFactory(status=source)

    change = transition_order(order.pk, target, actor="test")

    order.refresh_from_db()
    assert order.status == target
    assert (change.from_status, change.to_status, change.applied, change.actor) == (source, target, True, "test")


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "target"), REJECTED_PAIRS)
def test_rejected_transition_changes_nothing(source, target):
    order = OrderFactory(status=source)

    with pytest.raises(InvalidTransition) as caught:
        transition_order(order.pk, target, actor="test")

    order.refresh_from_db()
    assert order.status == source
    assert OrderStatusChange.objects.filter(order=order).count() == 0
    assert source in caught.value.messages[0]
    assert target in caught.value.messages[0]


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "target"), BACKWARDS_PAIRS)
def test_backwards_report_recorded_not_applied(source, target):
    order = OrderFactory(status=source)

    change = transition_order(order.pk, target, actor="erp")

    order.refresh_from_db()
    assert order.status == source
    assert change.applied is False
    assert (change.from_status, change.to_status) == (source, target)
