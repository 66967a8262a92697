"""The tile's "Waiting outbox" link lists the messages that the tile counts as waiting."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone

from integrations.models import OutboundState
from monitoring.services.health import admin_links
from tests.monitoring.conftest import make_connection, outbound_message

pytestmark = pytest.mark.django_db


def test_link_filters_pending_and_in_flight():
    shop = make_connection("shop")

    link = admin_links(shop)["outbox"]

    assert link == f"/admin/integrations/outboundmessage/?connection__id__exact={shop.pk}&state__in=pending%2Cin_flight"


def test_link_lists_waiting_messages_only(admin_client):
    # given a pending, an in-flight and a delivered message of the shop
    shop = make_connection("shop")
    now = timezone.now()
    pending = outbound_message(shop, created_at=now - timedelta(minutes=3), state=OutboundState.PENDING)
    in_flight = outbound_message(shop, created_at=now - timedelta(minutes=2), state=OutboundState.IN_FLIGHT)
    delivered = outbound_message(shop, created_at=now - timedelta(minutes=1), state=OutboundState.DELIVERED, delivered_at=now)

    # when the tile's link is opened from the dashboard
    dashboard = admin_client.get("/admin/monitoring/dashboard/").content.decode()
    link = unescape(re.search(r'<a href="([^"]+)">Waiting outbox</a>', dashboard).group(1))
    listing = admin_client.get(link).content.decode()

    # then the list shows the two waiting messages and not the delivered one
    listed = {int(pk) for pk in re.findall(r"/admin/integrations/outboundmessage/(\d+)/change/", listing)}
    assert listed == {pending.pk, in_flight.pk}
    assert delivered.pk not in listed
