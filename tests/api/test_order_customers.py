"""Orders placed through the API are linked to customers as shop orders are, and GET customers/me explains a missing one."""

import pytest

from customers.models import Customer
from orders.models import Order
from tests.api.conftest import make_client
from tests.api.test_orders import camera, order_body, post_order  # noqa: F401 (camera is a fixture)
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

BILLING = {"first_name": "Anna", "last_name": "Berg", "company": "Berg GmbH", "street": "Hauptstraße 1", "postal_code": "10115", "city": "Berlin", "country": "DE"}


def body(number="WEB-1", **fields):
    return {**order_body(number=number, quantity="1"), "billing_address": BILLING, **fields}


def test_unbound_client_order_gets_guest(api, camera):  # noqa: F811
    response = post_order(api, body())

    assert response.status_code == 201, response.json()
    customer = Order.objects.get().customer
    assert customer is not None
    assert customer.is_guest
    assert customer.email == "anna@example.com"
    assert customer.first_name == "Anna"
    assert customer.last_name == "Berg"
    assert customer.company == "Berg GmbH"


def test_guest_orders_get_own_customers(api, camera):  # noqa: F811
    post_order(api, body(number="WEB-1"), key="key-1")
    post_order(api, body(number="WEB-2"), key="key-2")

    customers = {order.customer_id for order in Order.objects.all()}
    assert len(customers) == 2
    assert None not in customers


def test_bound_client_order_linked_to_customer(channel, price_list, camera):  # noqa: F811
    registered = CustomerFactory(email="anna@example.com", first_name="Annette", last_name="Adler")
    _client, http = make_client(channel, price_list=price_list, customer_email="Anna@Example.com")

    response = post_order(http, body(email="someone@example.com"))

    assert response.status_code == 201, response.json()
    order = Order.objects.get()
    assert order.customer_id == registered.pk
    assert order.email == "anna@example.com"
    registered.refresh_from_db()
    # The API is no connection that could lead customer master data, so the stored names stay.
    assert registered.first_name == "Annette"
    assert Customer.objects.count() == 1


def test_bound_client_creates_registered_customer(channel, price_list, camera):  # noqa: F811
    _client, http = make_client(channel, price_list=price_list, customer_email="new@example.com")

    response = post_order(http, body())

    assert response.status_code == 201, response.json()
    customer = Order.objects.get().customer
    assert customer.email == "new@example.com"
    assert not customer.is_guest
    assert customer.last_name == "Berg"
    assert http.get("/api/v1/customers/me/").status_code == 200


def test_rejected_order_creates_no_customer(api, camera):  # noqa: F811
    response = post_order(api, body(number="WEB-1", lines=[{**order_body()["lines"][0], "quantity": "5", "total_net": "500.00", "total_tax": "95.00", "total_gross": "595.00"}]))

    assert response.status_code in (400, 409)
    assert Customer.objects.count() == 0


def test_me_names_email_without_customer(channel):
    _client, http = make_client(channel, customer_email="ghost@example.com")

    response = http.get("/api/v1/customers/me/")

    assert response.status_code == 404
    data = response.json()
    assert data["code"] == "customer_not_found"
    assert data["value"] == "ghost@example.com"
    assert "No registered customer has the email ghost@example.com" in data["message"]
    assert "Correct the client's customer email in the admin" in data["message"]


def test_me_guest_email_is_not_registered(channel):
    CustomerFactory(email="guest@example.com", is_guest=True)
    _client, http = make_client(channel, customer_email="guest@example.com")

    response = http.get("/api/v1/customers/me/")

    assert response.status_code == 404
    assert "No registered customer has the email guest@example.com" in response.json()["message"]


def test_me_without_customer_email(channel):
    _client, http = make_client(channel)

    response = http.get("/api/v1/customers/me/")

    assert response.status_code == 404
    assert response.json()["message"] == "This API client is not bound to a customer. Set the customer email of the client in the admin."


def test_me_message_in_german(channel):
    _client, http = make_client(channel, customer_email="ghost@example.com")

    response = http.get("/api/v1/customers/me/", HTTP_ACCEPT_LANGUAGE="de")

    assert "Kein registrierter Kunde hat die E-Mail ghost@example.com" in response.json()["message"]
