"""Changes a customer makes through a front end: profile fields, addresses, consents."""

import logging

from django.db import transaction
from django.utils import timezone

from customers.models import Address, Consent

logger = logging.getLogger(__name__)


@transaction.atomic
def update_profile(customer, fields, *, actor):
    for name, value in fields.items():
        setattr(customer, name, value)
    customer.save(update_fields=[*fields, "updated_at"])
    logger.info("Customer profile changed through the API", extra={"customer_id": customer.pk, "fields": sorted(fields), "actor": actor})
    return customer


@transaction.atomic
def add_address(customer, fields, *, actor):
    """Add an address; a new default replaces the previous default of the same kind."""
    if fields.get("is_default"):
        Address.objects.filter(customer=customer, kind=fields["kind"], is_default=True).update(is_default=False, updated_at=timezone.now())
    address = Address.objects.create(customer=customer, **fields)
    logger.info("Customer address added through the API", extra={"customer_id": customer.pk, "address_id": address.pk, "actor": actor})
    return address


def record_consent(customer, *, purpose, granted, source, recorded_at=None, actor):
    """Append a grant or withdrawal; earlier rows stay as the consent history."""
    consent = Consent.objects.create(
        customer=customer, purpose=purpose, granted=granted, source=source, recorded_at=recorded_at or timezone.now()
    )
    logger.info("Customer consent recorded through the API", extra={"customer_id": customer.pk, "purpose": purpose, "granted": granted, "actor": actor})
    return consent


def latest_consents(customer):
    """Return the current consent per purpose: the latest row of each."""
    latest = {}
    for consent in customer.consents.order_by("purpose", "-recorded_at", "-id"):
        latest.setdefault(consent.purpose, consent)
    return list(latest.values())
