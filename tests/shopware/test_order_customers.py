"""Shopware orders linked to canonical customers: registered, guest, bad buyer values and two workers at once."""

import copy
import threading
import time
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone, translation

from customers.models import Customer
from integrations.models import Binding, InboundEvent, InboundState
from integrations.sandbox import store
from integrations.sandbox.shopware.orders import PlacedLine, place_order
from integrations.services.inbox import process_inbound_batch, process_inbound_event
from integrations.shopware import inbound, order_mapper
from integrations.shopware.tasks import push_catalog
from orders.models import Order
from orders.services import create_order
from tests.breakbatch.helpers import backend_waits_for_lock, pending_ids, store_placed

pytestmark = pytest.mark.django_db

VALID_VAT = "DE136695976"


@pytest.fixture
def shop(sandbox, connection, make_product):
    make_product("CUS-1", on_hand=100)
    push_catalog(connection.pk)


def shop_order(customer_number="4711", **order_customer):
    """Place an order in the sandbox shop and return it with `order_customer` merged into its orderCustomer.

    The shop's own webhook is not sent (no commit happens in the test), so only the events
    that store_placed stores are pending.
    """
    product = store.find_by_natural_key("shopware", "product", "CUS-1").data
    order = place_order(
        [PlacedLine(product=product, quantity=1, unit_gross=Decimal("11.90"))],
        customer_number=customer_number, country_iso="DE", placed_at=timezone.now(),
    )
    order = copy.deepcopy(order)
    order["orderCustomer"].update(order_customer)
    return order


def as_guest(order):
    """Return the order as Shopware sends a guest's order with the orderCustomer.customer association."""
    guest = copy.deepcopy(order)
    customer = guest["orderCustomer"]
    customer["customer"] = {"id": customer["customerId"], "guest": True, "email": customer["email"], "apiAlias": "customer"}
    return guest


def imported(connection, order):
    """Store the order's checkout.order.placed event, apply it alone and return the stored order."""
    event_id = store_placed(connection, order)
    process_inbound_event(event_id)
    assert InboundEvent.objects.get(pk=event_id).state == InboundState.PROCESSED
    return Order.objects.select_related("customer").get(external_number=order["orderNumber"])


def customer_bindings(connection):
    content_type = ContentType.objects.get_for_model(Customer)
    return dict(Binding.objects.filter(connection=connection, content_type=content_type).values_list("external_id", "object_id"))


def test_registered_customer_created_and_bound(shop, connection):
    order = shop_order(company="Bauer GmbH", vatIds=[VALID_VAT])
    buyer = order["orderCustomer"]

    stored = imported(connection, order)

    customer = stored.customer
    assert customer is not None
    assert (customer.email, customer.is_guest, customer.first_name, customer.last_name, customer.company, customer.vat_number) == (
        buyer["email"], False, buyer["firstName"], buyer["lastName"], "Bauer GmbH", VALID_VAT,
    )
    assert customer_bindings(connection) == {buyer["customerId"]: str(customer.pk)}
    assert stored.needs_attention is False


def test_customer_found_again_by_binding_and_email(shop, connection):
    first = imported(connection, shop_order())
    # The same shop customer with a changed email is found by its customerId.
    by_binding = imported(connection, shop_order(email="anna.changed@example.com"))
    # Another shop account with the first one's email, in other letter case, is found by the email.
    other_account = shop_order(customer_number="4712")
    other_account["orderCustomer"]["email"] = f"  {first.customer.email.upper()} "
    by_email = imported(connection, other_account)

    assert by_binding.customer == first.customer
    assert by_email.customer == first.customer
    assert Customer.objects.count() == 1
    assert Customer.objects.get().email == first.customer.email
    # The customer keeps its first binding.
    assert list(customer_bindings(connection).values()) == [str(first.customer.pk)]


def test_guest_orders_get_own_guest_customers(shop, connection):
    registered = imported(connection, shop_order())
    email = registered.customer.email
    first_guest = imported(connection, as_guest(shop_order(customer_number="", email=email)))
    second_guest = imported(connection, as_guest(shop_order(customer_number="", email=email)))

    assert first_guest.customer.is_guest is True
    assert second_guest.customer.is_guest is True
    assert len({registered.customer.pk, first_guest.customer.pk, second_guest.customer.pk}) == 3
    assert sorted(Customer.objects.values_list("email", "is_guest")) == [(email, False), (email, True), (email, True)]
    assert list(customer_bindings(connection).values()) == [str(registered.customer.pk)]


def test_order_without_customer_id_is_guest(shop, connection):
    # Neither the customer association, whose guest flag marks a guest, nor a customer id.
    stored = imported(connection, shop_order(customerId=None, customer=None))

    assert stored.customer.is_guest is True
    assert customer_bindings(connection) == {}


def test_bad_email_and_vat_flag_order(shop, connection):
    stored = imported(connection, shop_order(email="anna(at)example.com", vatIds=["DE123"]))

    assert stored.customer is None
    assert stored.email == "anna(at)example.com"
    assert stored.needs_attention is True
    assert stored.attention_note == (
        'The customer email "anna(at)example.com" is invalid, so the order is not linked to a customer. '
        "Ask the customer for a valid email and correct it in the shop.\n"
        'The VAT ID "DE123" of the customer is invalid, so it was not stored with the customer. '
        "Check the VAT ID with the customer and correct it in the shop."
    )
    with translation.override("de"):
        assert stored.localized_attention_note().startswith("Die Kunden-E-Mail „anna(at)example.com“ ist ungültig")
        assert "\nDie USt-IdNr. „DE123“ des Kunden ist ungültig" in stored.localized_attention_note()
    assert not Customer.objects.exists()


def test_bad_vat_keeps_customer(shop, connection):
    stored = imported(connection, shop_order(vatIds=["DE123"]))

    assert stored.customer is not None
    assert stored.customer.vat_number == ""
    assert stored.needs_attention is True
    assert stored.attention_note.startswith('The VAT ID "DE123" of the customer is invalid')



@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["batch", "event"])
def test_two_workers_create_one_customer(sandbox, connection, make_product, path):
    make_product("CUS-1", on_hand=100)
    push_catalog(connection.pk)
    # Each order commits here, so the shop's webhook stores its event. The other worker creates
    # its order without one.
    ours, theirs = shop_order(customer_number="9001"), shop_order(customer_number="9001")
    InboundEvent.objects.filter(external_id=theirs["id"]).delete()
    [event_id] = pending_ids()
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [our_pid] = cursor.fetchone()
    inserted = threading.Event()
    results = []

    def other_worker():
        # The other worker inserts the same new customer and keeps it uncommitted until this
        # worker waits for it on the unique index of registered emails.
        try:
            with transaction.atomic():
                data = order_mapper.order_input(theirs, channel=inbound.channel_for(connection), connection=connection)
                create_order(data, actor="other-worker", reserve=False)
                inserted.set()
                deadline = time.monotonic() + 10
                while not backend_waits_for_lock(our_pid):
                    assert time.monotonic() < deadline, "this worker never waited for the other worker's customer"
                    time.sleep(0.02)
            results.append(True)
        except BaseException as error:  # noqa: BLE001 - reported to the test, which asserts on it
            results.append(error)
        finally:
            db_connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    assert inserted.wait(timeout=10)
    if path == "batch":
        [event] = process_inbound_batch(event_id)
    else:
        process_inbound_event(event_id)
        event = InboundEvent.objects.get(pk=event_id)
    thread.join(timeout=30)

    assert results == [True]
    assert (event.state, event.outcome) == (InboundState.PROCESSED, "created")
    [customer] = Customer.objects.all()
    assert customer.email == ours["orderCustomer"]["email"]
    assert sorted(Order.objects.values_list("external_number", "customer_id")) == sorted(
        [(ours["orderNumber"], customer.pk), (theirs["orderNumber"], customer.pk)]
    )
    assert customer_bindings(connection) == {ours["orderCustomer"]["customerId"]: str(customer.pk)}


def test_overlong_email_left_out(shop, connection):
    email = f"{'a' * 250}@example.com"

    stored = imported(connection, shop_order(email=email))

    assert stored.email == ""
    assert stored.customer is None
    assert stored.attention_note.startswith(f'The customer email "{email}" is invalid')
