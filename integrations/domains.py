"""Data domains, their field groups and data classes.

Connectors, leading-system rules and the canonical apps use these names, so a rule
"prices are led by the ERP" means the same thing everywhere.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DataClass(models.TextChoices):
    """Worker lane of a domain: hot data never waits behind a catalog import."""

    HOT = "hot", _("hot")
    MASTER = "master", _("master")


class Domain(models.TextChoices):
    PRODUCTS = "products", _("products")
    CATEGORIES = "categories", _("categories")
    PRICES = "prices", _("prices")
    STOCK = "stock", _("stock")
    ORDERS = "orders", _("orders")
    PAYMENTS = "payments", _("payments")
    SHIPMENTS = "shipments", _("shipments")
    CUSTOMERS = "customers", _("customers")


class FieldGroup(models.TextChoices):
    """Part of a domain that can have its own leading system."""

    # products
    TEXTS = "texts", _("texts")
    ATTRIBUTES = "attributes", _("attributes")
    CATEGORIES = "categories", _("categories")
    MEDIA = "media", _("media")
    IDENTIFIERS = "identifiers", _("identifiers")
    # orders
    LINES = "lines", _("lines")
    BUYER = "buyer", _("buyer")
    ADDRESSES = "addresses", _("addresses")
    STATUS = "status", _("status")
    FULFILMENT = "fulfilment", _("fulfilment")
    DOCUMENTS = "documents", _("documents")
    # customers
    MASTER = "master", _("master data")
    CONSENTS = "consents", _("consents")


FIELD_GROUPS = {
    Domain.PRODUCTS: (
        FieldGroup.TEXTS,
        FieldGroup.ATTRIBUTES,
        FieldGroup.CATEGORIES,
        FieldGroup.MEDIA,
        FieldGroup.IDENTIFIERS,
    ),
    Domain.ORDERS: (
        FieldGroup.LINES,
        FieldGroup.BUYER,
        FieldGroup.ADDRESSES,
        FieldGroup.STATUS,
        FieldGroup.FULFILMENT,
        FieldGroup.DOCUMENTS,
    ),
    Domain.CUSTOMERS: (FieldGroup.MASTER, FieldGroup.CONSENTS),
}

# Order status is hot, but an order's lines and buyer are master data of the order domain.
# The lane is chosen per domain, so all order messages go to the hot lane: an order must
# reach the ERP as fast as a status change does.
DATA_CLASS = {
    Domain.PRODUCTS: DataClass.MASTER,
    Domain.CATEGORIES: DataClass.MASTER,
    Domain.PRICES: DataClass.HOT,
    Domain.STOCK: DataClass.HOT,
    Domain.ORDERS: DataClass.HOT,
    Domain.PAYMENTS: DataClass.HOT,
    Domain.SHIPMENTS: DataClass.HOT,
    Domain.CUSTOMERS: DataClass.MASTER,
}

# Domains whose pending outbound messages for one record collapse into the latest one,
# because only the current value matters to the receiver.
COALESCED_DOMAINS = frozenset({Domain.STOCK, Domain.PRICES})


def field_groups_of(domain):
    """Return the field groups of a domain, an empty tuple when it has none."""
    return FIELD_GROUPS.get(Domain(domain), ())


def data_class_of(domain):
    return DATA_CLASS[Domain(domain)]


def lane_of(domain):
    """Return the django-q2 cluster name that runs work for this domain."""
    return data_class_of(domain).value
