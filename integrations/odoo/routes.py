"""Routes and leading systems for a shop and an ERP: who sends what to whom, and who is right.

The default for a shop with an ERP behind it: an order's lines, buyer and addresses come from
the shop that took it; its status, fulfilment and documents (invoices, credit notes, delivery
notes) from the ERP once the ERP has it; stock and prices from the ERP. The shop receives
stock, prices and products; the ERP receives orders and customers.
"""

from django.db import transaction

from integrations.domains import Domain, FieldGroup
from integrations.models import ConnectionEntity, Direction, LeadingSystemRule

# Minutes between the framework's safety-net delta pulls of the ERP. The fast hot-lane poll
# (integrations.odoo.tasks) reads changes within a second; this pull re-reads five minutes.
ERP_PULL_MINUTES = 10


def _entity(connection, entity, direction, pull_minutes=None):
    ConnectionEntity.objects.update_or_create(
        connection=connection,
        entity=entity,
        defaults={"direction": direction, "pull_interval_minutes": pull_minutes, "enabled": True},
    )


def _lead(domain, field_group, connection):
    LeadingSystemRule.objects.update_or_create(domain=domain, field_group=field_group, defaults={"connection": connection})


@transaction.atomic
def set_up_shop_and_erp(shop, erp, *, erp_pull_minutes=ERP_PULL_MINUTES):
    """Create the connection entities and leading-system rules of a shop + ERP pair; safe to repeat."""
    # Both: orders come in from the shop, their status and tracking go back to it.
    _entity(shop, Domain.ORDERS, Direction.BOTH)
    _entity(shop, Domain.STOCK, Direction.OUT)
    _entity(shop, Domain.PRICES, Direction.OUT)
    _entity(shop, Domain.PRODUCTS, Direction.OUT)

    _entity(erp, Domain.ORDERS, Direction.BOTH, erp_pull_minutes)
    _entity(erp, Domain.CUSTOMERS, Direction.OUT)
    _entity(erp, Domain.STOCK, Direction.IN, erp_pull_minutes)

    for group in (FieldGroup.LINES, FieldGroup.BUYER, FieldGroup.ADDRESSES):
        _lead(Domain.ORDERS, group, shop)
    for group in (FieldGroup.STATUS, FieldGroup.FULFILMENT, FieldGroup.DOCUMENTS):
        _lead(Domain.ORDERS, group, erp)
    _lead(Domain.STOCK, "", erp)
    _lead(Domain.PRICES, "", erp)
