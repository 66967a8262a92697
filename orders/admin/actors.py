"""Readable names for the actor codes of status history rows.

Services store who made a change as a short code, which stays as written because it is part
of the audit trail. The codes are "admin:<username>" for a person in the admin, "api-client:<pk>"
for an API client and "<connector kind>:<connection slug>" for a connector. The Odoo connector
writes one code for every connection and puts the connection in the row's connection column.
"""

from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils.html import format_html
from django.utils.translation import gettext as _

from apiclients.models import ApiClient
from integrations.models import Connection
from integrations.odoo.inbound import ACTOR as ODOO_ACTOR
from integrations.registry import UnknownConnector, get_connector
from orders.models import OrderStatusChange

ADMIN_PREFIX = "admin"
API_CLIENT_PREFIX = "api-client"


def with_actor_names(queryset):
    """Annotate status history rows with the connection and API client their actor code names.

    Subqueries rather than a lookup per row, so a page of history costs one query.
    """
    connection_name = Connection.objects.annotate(code=Concat("kind", Value(":"), "slug", output_field=CharField())).filter(code=OuterRef("actor")).values("name")[:1]
    api_client_name = (
        ApiClient.objects.annotate(code=Concat(Value(f"{API_CLIENT_PREFIX}:"), Cast("pk", CharField()), output_field=CharField()))
        .filter(code=OuterRef("actor"))
        .values("name")[:1]
    )
    return queryset.annotate(actor_connection_name=Subquery(connection_name), actor_api_client_name=Subquery(api_client_name))


def actor_name(change):
    """Return who or what made `change`, in words of the active language.

    `change` comes from with_actor_names(). A row without its annotations is read again with them.
    """
    if not hasattr(change, "actor_connection_name"):
        change = with_actor_names(OrderStatusChange.objects.filter(pk=change.pk).select_related("user", "connection")).get()

    prefix, _separator, key = change.actor.partition(":")
    if prefix == ADMIN_PREFIX:
        # The row's user is the person. The code still contains the username after the user is deleted.
        name = (change.user.get_full_name() or change.user.get_username()) if change.user else key
        return _("User %(name)s") % {"name": name}
    if prefix == API_CLIENT_PREFIX:
        return _("API client %(name)s") % {"name": change.actor_api_client_name or key}
    if change.actor_connection_name:
        return _("Connection %(name)s") % {"name": change.actor_connection_name}
    if change.actor == ODOO_ACTOR:
        if change.connection is not None:
            return _("Connection %(name)s") % {"name": change.connection.name}
        return _("Odoo connector")
    if key and _is_connector_kind(prefix):
        return _("Connection %(slug)s (not found)") % {"slug": key}

    # A code of another form, such as a system job's name, is shown as stored.
    return change.actor


def actor_column(change):
    """Return the actor's readable name, with the stored code as the tooltip for audits."""
    return format_html('<span title="{}">{}</span>', change.actor, actor_name(change))


def _is_connector_kind(prefix):
    try:
        get_connector(prefix)
    except UnknownConnector:
        return False
    return True
