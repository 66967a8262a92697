"""Links from an order's page to the integration lists, filtered to what Kontor exchanged about the order."""

from urllib.parse import urlencode

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext

from integrations.domains import Domain
from integrations.models import Binding


def order_outbound_messages_url(order):
    """Return the address of the outbound message list filtered to the messages about `order`."""
    query = {
        "content_type__id__exact": ContentType.objects.get_for_model(order).pk,
        "object_id": order.pk,
    }
    return reverse("admin:integrations_outboundmessage_changelist") + "?" + urlencode(query)


def order_inbound_events_url(order):
    """Return the address of the inbound event list filtered to the order's events from the connection it came from, or None.

    Kontor stores a Shopware order event under the order's id in the shop, which is also the
    external id of the order's binding there, so the filter reads the binding with one query. An
    order without a connection or binding gets no link. Events of other connections, such as the
    ERP's, are stored under the ids of their own documents and are left out.
    NOTE: a channel connector that stores order events under another id gets an empty list here.
    """
    if order.connection_id is None:
        return None
    external_id = (
        Binding.objects.filter(connection_id=order.connection_id, content_type=ContentType.objects.get_for_model(order), object_id=str(order.pk))
        .values_list("external_id", flat=True)
        .first()
    )
    if external_id is None:
        return None
    query = {
        "connection__id__exact": order.connection_id,
        "entity__exact": Domain.ORDERS.value,
        "external_id": external_id,
    }
    return reverse("admin:integrations_inboundevent_changelist") + "?" + urlencode(query)


def outbound_messages_link(order):
    return format_html('<a href="{}">{}</a>', order_outbound_messages_url(order), gettext("Outbound messages of this order"))


def inbound_events_link(order):
    """Return a link to the order's inbound events from its channel's connection, or "-" when there is no filter for them."""
    url = order_inbound_events_url(order)
    if url is None:
        return "-"
    text = gettext("Inbound events from %(connection)s") % {"connection": order.connection.name}
    return format_html('<a href="{}">{}</a>', url, text)
