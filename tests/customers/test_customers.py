from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from customers.models import Address, Customer, normalize_email
from tests.factories import AddressFactory, ConsentFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def assert_integrity_error(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_normalize_email_trims_and_lowercases():
    assert normalize_email("  Anna.Schmidt@Example.COM ") == "anna.schmidt@example.com"
    assert normalize_email(None) == ""


def test_customer_email_stored_normalized():
    customer = CustomerFactory(email=" Anna@Example.com")

    customer.refresh_from_db()
    assert customer.email == "anna@example.com"


def test_registered_email_unique_ignoring_case():
    CustomerFactory(email="anna@example.com")

    assert_integrity_error(lambda: Customer.objects.bulk_create([Customer(email="ANNA@example.com")]))


def test_registered_duplicate_email_reported_by_clean():
    CustomerFactory(email="anna@example.com")
    duplicate = Customer(email="Anna@Example.com ")

    with pytest.raises(ValidationError) as caught:
        duplicate.full_clean()

    assert "customer_unique_registered_email" in caught.value.message_dict["__all__"][0]


def test_guests_may_share_an_email():
    CustomerFactory(email="anna@example.com")
    CustomerFactory(email="anna@example.com", is_guest=True)
    CustomerFactory(email="anna@example.com", is_guest=True)

    assert Customer.objects.filter(email="anna@example.com").count() == 3


def test_customer_email_not_empty_in_database():
    assert_integrity_error(lambda: Customer.objects.create(email=""))


def test_customer_invalid_vat_number_named():
    customer = CustomerFactory.build(vat_number="DE12345")

    with pytest.raises(ValidationError) as caught:
        customer.full_clean()

    assert "DE12345" in caught.value.message_dict["vat_number"][0]


def test_one_default_address_per_kind():
    address = AddressFactory(kind="shipping", is_default=True)
    AddressFactory(customer=address.customer, kind="billing", is_default=True)
    AddressFactory(customer=address.customer, kind="shipping", is_default=False)

    assert_integrity_error(lambda: AddressFactory(customer=address.customer, kind="shipping", is_default=True))
    assert Address.objects.filter(customer=address.customer).count() == 3


def test_address_unknown_country_named():
    address = AddressFactory.build(customer=CustomerFactory(), country="XX")

    with pytest.raises(ValidationError) as caught:
        address.full_clean()

    assert "XX" in caught.value.message_dict["country"][0]


def test_consents_kept_as_history():
    consent = ConsentFactory(granted=True)
    ConsentFactory(customer=consent.customer, granted=False, source="unsubscribe link", recorded_at=consent.recorded_at + timedelta(days=1))

    latest = consent.customer.consents.filter(purpose=consent.purpose).first()
    assert latest.granted is False
    assert latest.source == "unsubscribe link"
    assert consent.customer.consents.count() == 2
