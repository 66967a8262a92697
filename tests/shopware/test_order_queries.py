"""How many statements a typical shop order costs on the hot lane, pinned so a change that
adds a round trip per order shows up here and not only in the benchmark."""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from catalog.models import StockReservation
from customers.models import Customer
from integrations.models import Binding, InboundEvent, InboundState, OutboundMessage
from integrations.sandbox import store
from integrations.sandbox.shopware.orders import PlacedLine, place_order
from integrations.services.inbox import process_inbound_batch, process_inbound_event
from integrations.shopware.tasks import push_catalog
from orders.models import Order

pytestmark = pytest.mark.django_db

# Statements, savepoints included, for an order of two lines with both addresses and one tax
# line: the inbox lock, the read of the buyer's customer, the order with lines, tax line,
# addresses and first history row, the reservation, the stock messages to the shop, the
# binding and the event's new state. The customer is known already, bound to its Shopware id
# and unchanged, so nothing else is written for it.
TYPICAL_ORDER_STATEMENTS = 33

# In a batch, plain new orders are created together. The pending check of the task's event,
# the inbox lock, the stock level locks, the known order numbers and the products are read
# once, and so are the buyers' customers (one query for all orders). Each table gets one
# statement for all orders: orders, lines, tax lines, addresses, history rows, reservations,
# movements, bindings, the events' new state and the stock messages. Nothing is repeated per
# order. A batch with new customers adds at most six statements for all of them
# (customers.services.customers_for): the leading-system rules, the customers' INSERT and
# re-read, their UPDATE, conflicts and bindings.
BATCH_FIXED_STATEMENTS = 36
BATCH_STATEMENTS_PER_ORDER = 0

# Customers new to Kontor add two statements to a batch, whatever their number: their INSERT
# and their bindings.
BATCH_NEW_CUSTOMERS_STATEMENTS = 2


def place_two_line_order(skus, customer_number="17850"):
    products = [store.find_by_natural_key("shopware", "product", sku).data for sku in skus]
    return place_order(
        [PlacedLine(product=product, quantity=2, unit_gross=Decimal("11.90")) for product in products],
        customer_number=customer_number, country_iso="GB", placed_at=timezone.now(),
    )


@pytest.fixture
def running_shop(sandbox, connection, make_product, django_capture_on_commit_callbacks):
    """Return a function that places orders of two lines and leaves their events pending.

    The first order is applied here: it fills the content type cache and leaves stock messages
    pending, as on a running system.
    """
    make_product("SW-Q1", on_hand=100)
    make_product("SW-Q2", on_hand=100)
    push_catalog(connection.pk)

    def place_orders(count, customer_numbers=None):
        customer_numbers = customer_numbers or ["17850"] * count
        with django_capture_on_commit_callbacks(execute=True):
            return [place_two_line_order(["SW-Q1", "SW-Q2"], customer_number) for customer_number in customer_numbers]

    place_orders(1)
    process_inbound_event(InboundEvent.objects.get(state=InboundState.PENDING).pk)
    return place_orders


def test_typical_order_statement_count(running_shop, connection, django_assert_num_queries):
    [placed] = running_shop(1)
    event = InboundEvent.objects.get(state=InboundState.PENDING)

    with django_assert_num_queries(TYPICAL_ORDER_STATEMENTS):
        process_inbound_event(event.pk)

    order = Order.objects.get(external_number=placed["orderNumber"])
    assert [(line.sku, line.quantity) for line in order.lines.order_by("position")] == [("SW-Q1", 2), ("SW-Q2", 2)]
    assert sorted(order.addresses.values_list("kind", flat=True)) == ["billing", "shipping"]
    assert sorted(
        StockReservation.objects.filter(order_line__order=order).values_list("product__sku", "quantity")
    ) == [("SW-Q1", 2), ("SW-Q2", 2)]
    assert Binding.objects.get(content_type=ContentType.objects.get_for_model(Order), object_id=str(order.pk), connection=connection).external_id == placed["id"]
    assert OutboundMessage.objects.filter(entity="stock", state="pending").count() == 2
    event.refresh_from_db()
    assert (event.state, event.outcome) == (InboundState.PROCESSED, "created")


@pytest.mark.parametrize("count", [3, 10])
def test_batch_statement_count(running_shop, django_assert_num_queries, count):
    running_shop(count)
    first = InboundEvent.objects.filter(state=InboundState.PENDING).order_by("id").first()

    with django_assert_num_queries(BATCH_FIXED_STATEMENTS + count * BATCH_STATEMENTS_PER_ORDER):
        events = process_inbound_batch(first.pk)

    assert [event.state for event in events] == [InboundState.PROCESSED] * count
    assert [event.outcome for event in events] == ["created"] * count
    assert StockReservation.objects.filter(product__sku="SW-Q1").count() == count + 1
    assert Order.objects.count() == count + 1
    assert OutboundMessage.objects.filter(entity="stock", state="pending").count() == 2


@pytest.mark.parametrize("count", [3, 10])
def test_batch_of_new_customers_statement_count(running_shop, django_assert_num_queries, count):
    placed = running_shop(count, customer_numbers=[str(20000 + index) for index in range(count)])
    first = InboundEvent.objects.filter(state=InboundState.PENDING).order_by("id").first()

    with django_assert_num_queries(BATCH_FIXED_STATEMENTS + BATCH_NEW_CUSTOMERS_STATEMENTS + count * BATCH_STATEMENTS_PER_ORDER):
        events = process_inbound_batch(first.pk)

    assert [event.outcome for event in events] == ["created"] * count
    # The customer of the order placed by the fixture, and one per new order.
    assert Customer.objects.count() == count + 1
    emails = dict(Order.objects.values_list("external_number", "customer__email"))
    assert [emails[order["orderNumber"]] for order in placed] == [order["orderCustomer"]["email"] for order in placed]
    assert len({order["orderCustomer"]["email"] for order in placed}) == count
    assert Binding.objects.filter(content_type=ContentType.objects.get_for_model(Customer)).count() == count + 1
