"""Default leading-system rules for an Akeneo connection.

The PIM is the source of truth for product texts, attributes, categories and media, so a new
Akeneo connection leads them unless an operator already chose another leading system.
"""

import logging

from integrations.domains import Domain, FieldGroup
from integrations.models import LeadingSystemRule

logger = logging.getLogger(__name__)

DEFAULT_LEADS = (
    (Domain.PRODUCTS, FieldGroup.TEXTS),
    (Domain.PRODUCTS, FieldGroup.ATTRIBUTES),
    (Domain.PRODUCTS, FieldGroup.CATEGORIES),
    (Domain.PRODUCTS, FieldGroup.MEDIA),
    (Domain.CATEGORIES, ""),
)


def claim_default_leading_rules(connection):
    """Make `connection` the leading system where no rule exists yet; return the rules created."""
    # NOTE: only create_akeneo_connection calls this. A connection added in the admin gets no
    # rules, because the framework calls no connector hook when a connection is created.
    created = []
    for domain, field_group in DEFAULT_LEADS:
        rule, was_created = LeadingSystemRule.objects.get_or_create(
            domain=domain, field_group=field_group, defaults={"connection": connection}
        )
        if was_created:
            created.append(rule)
    if created:
        logger.info(
            "leading system rules created",
            extra={"connection_id": connection.pk, "rules": [f"{rule.domain}.{rule.field_group}" for rule in created]},
        )
    return created
