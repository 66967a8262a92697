"""The incident and notification admin pages as a German-speaking support person reads them."""

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import Connection
from monitoring.models import AlertRule, Incident, Notification, NotificationChannel

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident():
    connection = Connection.objects.create(kind="odoo", name="Odoo", slug="odoo", base_url="https://erp.example.com")
    rule = AlertRule.objects.create(name="Odoo down", kind=AlertRule._meta.get_field("kind").choices[0][0], connection=connection)
    return Incident.objects.create(
        rule=rule, connection=connection, opened_at=timezone.now(),
        message="5 items failed", message_translations={"en": "5 items failed", "de": "5 Artikel fehlgeschlagen"},
    )


def test_incident_page_shows_german_message(staff_client, incident):
    page = staff_client.get(reverse("admin:monitoring_incident_change", args=[incident.pk]), headers={"accept-language": "de"})

    assert page.status_code == 200
    assert "5 Artikel fehlgeschlagen" in page.content.decode()
    assert "5 items failed" not in page.content.decode()


def test_incident_cannot_be_deleted(staff_client, incident):
    response = staff_client.post(reverse("admin:monitoring_incident_delete", args=[incident.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert Incident.objects.filter(pk=incident.pk).exists()


def test_notification_channel_column_german(staff_client, incident):
    channel = NotificationChannel.objects.create(name="Support", kind=NotificationChannel._meta.get_field("kind").choices[0][0])
    Notification.objects.create(channel=channel, incident=incident, kind="opened", sent_at=timezone.now(), succeeded=True)

    page = staff_client.get(reverse("admin:monitoring_notification_changelist"), headers={"accept-language": "de"})

    assert page.status_code == 200
    assert "Kanal" in page.content.decode()
    assert "Vertriebskanal" not in page.content.decode()
