"""Leading systems: only the connection that leads a domain (or field group) writes it."""

import json
import logging

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder

from integrations.domains import Domain
from integrations.itemerrors import NoLeadingSystem
from integrations.models import Conflict, LeadingSystemRule

logger = logging.getLogger(__name__)


def leading_connection_ids(domain):
    """Return {field group or "": connection id} for a domain's rules."""
    return dict(
        LeadingSystemRule.objects.filter(domain=domain).values_list("field_group", "connection_id")
    )


def leading_connection_id(domain, field_group="", rules=None):
    """Return the id of the connection that leads a field group, falling back to the domain rule."""
    rules = leading_connection_ids(domain) if rules is None else rules
    return rules.get(field_group or "", rules.get(""))


def claim_default_leads(connection):
    """Make `connection` lead its connector's default domains where no rule exists yet.

    An operator's existing rule is never replaced. Returns the rules created.
    """
    created = []
    for domain, field_group in connection.connector.default_leads:
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


def _as_json(value):
    """Return a value as it is stored in a JSONField (Decimal and dates as text)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def apply_inbound_changes(connection, domain, record, changes_by_field_group, *, event=None, current=None):
    """Return the changes `connection` may write; store a Conflict for each other changed field.

    `changes_by_field_group` is {field group: {field: new value}}; use "" as the group for
    domains without field groups (stock, prices). `current` gives the record's present values
    as {field: value} where they are not plain attributes of `record`. An incoming value equal
    to the current one is neither applied nor a conflict. Raises NoLeadingSystem when the domain
    has no rule at all. A field group without a rule of its own or a domain rule is led by no
    one, so its changes become conflicts.

    Call it inside the transaction that applies the returned changes.
    """
    domain = Domain(domain).value
    rules = leading_connection_ids(domain)
    if not rules:
        raise NoLeadingSystem(domain=domain, connection=connection.name)

    content_type = ContentType.objects.get_for_model(record)
    allowed = {}
    conflicts = []
    for field_group, changes in changes_by_field_group.items():
        leader_id = leading_connection_id(domain, field_group, rules)
        for field, incoming in changes.items():
            present = current[field] if current is not None and field in current else getattr(record, field, None)
            if _as_json(present) == _as_json(incoming):
                continue
            if leader_id == connection.pk:
                allowed.setdefault(field_group, {})[field] = incoming
                continue
            conflicts.append(
                Conflict(
                    connection=connection,
                    content_type=content_type,
                    object_id=str(record.pk),
                    domain=domain,
                    field_group=field_group or "",
                    field=field,
                    current_value=_as_json(present),
                    incoming_value=_as_json(incoming),
                    leading_connection_id=leader_id,
                    inbound_event=event,
                )
            )

    if conflicts:
        Conflict.objects.bulk_create(conflicts)
        logger.info(
            "inbound changes rejected as conflicts",
            extra={
                "connection_id": connection.pk,
                "domain": domain,
                "object_id": str(record.pk),
                "fields": [conflict.field for conflict in conflicts],
            },
        )
    return allowed


def settle_conflicts(record, domain, applied):
    """Resolve the open conflicts of `record` that asked for what its leading system has now set.

    `applied` is {field: value} as the leading system wrote it. Such a conflict needs no
    decision any more: the leading system came to the same value, such as an ERP cancelling an
    order that the shop had cancelled before. Returns the resolved conflicts.
    """
    content_type = ContentType.objects.get_for_model(record)
    open_conflicts = Conflict.objects.filter(
        content_type=content_type, object_id=str(record.pk), domain=Domain(domain).value, field__in=list(applied), resolved=False,
    )
    settled = [conflict for conflict in open_conflicts if conflict.incoming_value == _as_json(applied[conflict.field])]
    if settled:
        Conflict.objects.filter(pk__in=[conflict.pk for conflict in settled]).update(resolved=True)
        logger.info(
            "conflicts settled by the leading system",
            extra={"domain": domain, "object_id": str(record.pk), "conflict_ids": [conflict.pk for conflict in settled]},
        )
    return settled
