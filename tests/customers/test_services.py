"""customers_for: the canonical customer of each order's buyer, found or created with fixed statements."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import translation

from customers.models import Customer
from customers.services import (
    EMAIL_INVALID,
    EMAIL_INVALID_CUSTOMER_FOUND,
    VAT_NUMBER_INVALID,
    BuyerInput,
    customers_for,
)
from integrations.models import Binding, Conflict, Connection, LeadingSystemRule
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

# A VAT number with a valid check digit, the example of python-stdnum's DE module.
VALID_VAT = "DE136695976"


@pytest.fixture
def shop():
    return Connection.objects.create(kind="shopware", name="Shop", slug="shop", base_url="http://testserver/sandbox/shopware")


@pytest.fixture
def crm():
    return Connection.objects.create(kind="odoo", name="CRM", slug="crm", base_url="http://testserver/sandbox/odoo")


def buyer(email="anna@example.com", external_id="c-1", **values):
    return BuyerInput(email=email, external_id=external_id, **{"first_name": "Anna", "last_name": "Bauer", **values})


def bound_ids(connection, customer):
    return list(
        Binding.objects.filter(
            connection=connection, content_type=ContentType.objects.get_for_model(Customer), object_id=str(customer.pk)
        ).values_list("external_id", flat=True)
    )


def test_registered_buyer_created_and_bound(shop):
    [link] = customers_for([buyer(company="Bauer GmbH", vat_number="DE 136 695 976")], connection=shop)

    customer = Customer.objects.get()
    assert link.customer == customer
    assert link.notes == []
    assert (customer.email, customer.is_guest, customer.first_name, customer.last_name, customer.company, customer.vat_number) == (
        "anna@example.com", False, "Anna", "Bauer", "Bauer GmbH", VALID_VAT,
    )
    assert bound_ids(shop, customer) == ["c-1"]


def test_registered_buyer_found_by_binding(shop):
    [first] = customers_for([buyer()], connection=shop)

    # The shop customer changed its email: the binding still finds the same customer.
    [again] = customers_for([buyer(email="anna.new@example.com")], connection=shop)

    assert again.customer == first.customer
    assert Customer.objects.count() == 1
    assert Customer.objects.get().email == "anna@example.com"


def test_registered_buyer_found_by_email_ignoring_case(shop):
    existing = CustomerFactory(email="anna@example.com", first_name="Anna", last_name="Bauer")

    [link] = customers_for([buyer(email="  Anna@Example.COM ", external_id="c-9")], connection=shop)

    assert link.customer == existing
    assert Customer.objects.count() == 1
    assert bound_ids(shop, existing) == ["c-9"]


def test_binding_wins_over_email(shop):
    bound = CustomerFactory(email="old@example.com")
    Binding.objects.create(connection=shop, content_type=ContentType.objects.get_for_model(Customer), object_id=str(bound.pk), external_id="c-1")
    CustomerFactory(email="anna@example.com")

    [link] = customers_for([buyer(email="anna@example.com", external_id="c-1")], connection=shop)

    assert link.customer == bound


def test_guest_orders_get_own_customers(shop):
    links = customers_for(
        [buyer(is_guest=True, external_id="g-1"), buyer(is_guest=True, external_id="g-2"), buyer(external_id="c-1")], connection=shop
    )

    guests = [link.customer for link in links[:2]]
    assert all(customer.is_guest for customer in guests)
    assert guests[0].pk != guests[1].pk
    assert [customer.email for customer in guests] == ["anna@example.com", "anna@example.com"]
    # The registered customer with the same email is a customer of its own.
    assert links[2].customer.is_guest is False
    assert links[2].customer.pk not in {customer.pk for customer in guests}
    assert Customer.objects.filter(is_guest=True).count() == 2
    # Guests are not bound: their shop ids never find them again.
    assert bound_ids(shop, guests[0]) == []
    assert bound_ids(shop, guests[1]) == []

    [again] = customers_for([buyer(is_guest=True, external_id="g-1")], connection=shop)
    assert again.customer.pk not in {customer.pk for customer in guests}
    assert Customer.objects.filter(is_guest=True).count() == 3


def test_same_new_buyer_twice_in_one_call(shop):
    links = customers_for([buyer(), buyer(email="ANNA@example.com", external_id="c-1")], connection=shop)

    assert links[0].customer.pk == links[1].customer.pk
    assert Customer.objects.count() == 1
    assert Binding.objects.filter(content_type=ContentType.objects.get_for_model(Customer)).count() == 1


def test_leading_shop_updates_existing_customer(shop):
    LeadingSystemRule.objects.create(domain="customers", field_group="master", connection=shop)
    existing = CustomerFactory(email="anna@example.com", first_name="Anna", last_name="Bauer", company="", vat_number="")

    [link] = customers_for([buyer(last_name="Bauer-Schmidt", company="Bauer GmbH", vat_number=VALID_VAT)], connection=shop)

    existing.refresh_from_db()
    assert link.customer == existing
    assert (existing.first_name, existing.last_name, existing.company, existing.vat_number) == ("Anna", "Bauer-Schmidt", "Bauer GmbH", VALID_VAT)
    assert not Conflict.objects.exists()


def test_other_leader_keeps_customer_and_records_conflicts(shop, crm):
    LeadingSystemRule.objects.create(domain="customers", field_group="", connection=crm)
    existing = CustomerFactory(email="anna@example.com", first_name="Anna", last_name="Bauer", company="", vat_number="")

    [link] = customers_for([buyer(last_name="Bauer-Schmidt", company="Bauer GmbH")], connection=shop)

    existing.refresh_from_db()
    assert link.customer == existing
    assert (existing.last_name, existing.company) == ("Bauer", "")
    conflicts = sorted(
        Conflict.objects.values_list("connection__slug", "object_id", "domain", "field_group", "field", "current_value", "incoming_value", "leading_connection__slug")
    )
    assert conflicts == [
        ("shop", str(existing.pk), "customers", "master", "company", "", "Bauer GmbH", "crm"),
        ("shop", str(existing.pk), "customers", "master", "last_name", "Bauer", "Bauer-Schmidt", "crm"),
    ]


def test_no_leader_keeps_customer_without_conflicts(shop):
    existing = CustomerFactory(email="anna@example.com", first_name="Anna", last_name="Bauer")

    [link] = customers_for([buyer(last_name="Bauer-Schmidt")], connection=shop)

    existing.refresh_from_db()
    assert link.customer == existing
    assert existing.last_name == "Bauer"
    assert not Conflict.objects.exists()


def test_other_leader_still_gets_new_customer(shop, crm):
    LeadingSystemRule.objects.create(domain="customers", field_group="master", connection=crm)

    [link] = customers_for([buyer(company="Bauer GmbH")], connection=shop)

    # Created with the shop's values, so the order is linked to its buyer.
    assert (link.customer.email, link.customer.last_name, link.customer.company) == ("anna@example.com", "Bauer", "Bauer GmbH")
    assert not Conflict.objects.exists()


def test_invalid_email_links_no_customer(shop):
    links = customers_for([buyer(email="anna(at)example.com"), buyer(email="", is_guest=True)], connection=shop)

    assert [link.customer for link in links] == [None, None]
    assert not Customer.objects.exists()
    assert [note.template for note in links[0].notes] == [EMAIL_INVALID]
    assert str(links[0].notes[0]) == (
        'The customer email "anna(at)example.com" is invalid, so the order is not linked to a customer. '
        "Ask the customer for a valid email and correct it in the shop."
    )
    with translation.override("de"):
        assert str(links[1].notes[0]) == (
            'Die Kunden-E-Mail „“ ist ungültig, deshalb ist die Bestellung keinem Kunden zugeordnet. '
            "Bitten Sie den Kunden um eine gültige E-Mail-Adresse und korrigieren Sie sie im Shop."
        )


def test_invalid_email_still_found_by_binding(shop):
    [first] = customers_for([buyer()], connection=shop)

    [link] = customers_for([buyer(email="not-an-email")], connection=shop)

    assert link.customer == first.customer
    # The note does not deny the link it sits beside.
    assert [note.template for note in link.notes] == [EMAIL_INVALID_CUSTOMER_FOUND]
    assert Customer.objects.get(pk=first.customer.pk).email == first.customer.email
    with translation.override("de"):
        assert str(link.notes[0]) == (
            "Die Kunden-E-Mail „not-an-email“ ist ungültig, deshalb hat Kontor die gespeicherte "
            "E-Mail-Adresse dieses Kunden behalten. Bitten Sie den Kunden um eine gültige "
            "E-Mail-Adresse und korrigieren Sie sie im Shop."
        )


def test_invalid_vat_left_out(shop):
    LeadingSystemRule.objects.create(domain="customers", connection=shop)
    existing = CustomerFactory(email="known@example.com", vat_number=VALID_VAT)

    new, known = customers_for(
        [buyer(vat_number="DE123"), buyer(email="known@example.com", external_id="c-2", vat_number="XX999")], connection=shop
    )

    assert new.customer.vat_number == ""
    assert Customer.objects.get(pk=new.customer.pk).vat_number == ""
    assert str(new.notes[0]) == (
        'The VAT ID "DE123" of the customer is invalid, so it was not stored with the customer. '
        "Check the VAT ID with the customer and correct it in the shop."
    )
    with translation.override("de"):
        assert str(known.notes[0]) == (
            'Die USt-IdNr. „XX999“ des Kunden ist ungültig und wurde nicht beim Kunden gespeichert. '
            "Prüfen Sie die USt-IdNr. mit dem Kunden und korrigieren Sie sie im Shop."
        )
    assert [note.template for note in known.notes] == [VAT_NUMBER_INVALID]
    # The leading shop's invalid number does not replace the stored valid one.
    existing.refresh_from_db()
    assert existing.vat_number == VALID_VAT


@pytest.mark.parametrize("count", [2, 8])
def test_statement_count_fixed(shop, django_assert_num_queries, count):
    LeadingSystemRule.objects.create(domain="customers", connection=shop)
    known = [CustomerFactory(email=f"known-{index}@example.com", last_name="Old") for index in range(count)]
    ContentType.objects.get_for_model(Customer)
    buyers = [
        *(buyer(email=customer.email, external_id=f"k-{index}") for index, customer in enumerate(known)),
        *(buyer(email=f"new-{index}@example.com", external_id=f"n-{index}") for index in range(count)),
        *(buyer(email=f"guest-{index}@example.com", is_guest=True) for index in range(count)),
    ]

    # The known customers, the rules, the INSERT, the UPDATE of the known ones and the bindings.
    with django_assert_num_queries(5):
        links = customers_for(buyers, connection=shop)

    assert Customer.objects.count() == 3 * count
    assert set(Customer.objects.filter(email__startswith="known-").values_list("last_name", flat=True)) == {"Bauer"}
    assert [link.customer.email for link in links] == [item.email for item in buyers]
    assert Binding.objects.filter(content_type=ContentType.objects.get_for_model(Customer)).count() == 2 * count
