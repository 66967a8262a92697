"""Default leading-system rules for an Akeneo connection.

The PIM is the source of truth for product texts, attributes, categories and media, so a new
Akeneo connection leads them unless an operator already chose another leading system.
"""

from integrations.domains import Domain, FieldGroup
from integrations.services.leading import claim_default_leads

DEFAULT_LEADS = (
    (Domain.PRODUCTS, FieldGroup.TEXTS),
    (Domain.PRODUCTS, FieldGroup.ATTRIBUTES),
    (Domain.PRODUCTS, FieldGroup.CATEGORIES),
    (Domain.PRODUCTS, FieldGroup.MEDIA),
    (Domain.CATEGORIES, ""),
)


def claim_default_leading_rules(connection):
    """Make `connection` the leading system where no rule exists yet; return the rules created."""
    return claim_default_leads(connection)
