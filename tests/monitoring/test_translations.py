"""Everything a merchant sees in monitoring ships in German."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import translation

from monitoring.models import AlertRule, ChannelKind, NotificationChannel, RuleKind
from monitoring.services.alerts import evaluate_rules
from tests.monitoring.conftest import NOW, make_connection, outbound_message

pytestmark = pytest.mark.django_db


def test_alert_email_in_german(settings):
    # given an installation whose language is German
    settings.LANGUAGE_CODE = "de"
    shop = make_connection("shop")
    channel = NotificationChannel.objects.create(name="Support", kind=ChannelKind.EMAIL, recipients="support@example.com")
    rule = AlertRule.objects.create(name="Rückstand", kind=RuleKind.LAG, connection=shop)
    rule.channels.set([channel])
    outbound_message(shop, entity="stock", created_at=NOW - timedelta(minutes=3, seconds=5))

    # when the lag alert opens
    evaluate_rules(NOW)

    # then subject and body are German
    email = mail.outbox[0]
    assert email.subject == "[Kontor] Alarm: Rückstand – Shop"
    assert email.body.startswith("Bewegungsdaten sind 3 min 5 s im Rückstand, Ziel 1 min.\n\nOffen seit: 2. Dezember 2026 09:00 UTC\n")
    assert "Was zu tun ist: Öffnen Sie die Überwachung" in email.body


def test_dashboard_in_german(admin_client):
    make_connection("shop")

    with translation.override("de"):
        html = admin_client.get("/admin/monitoring/dashboard/", HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert "Letzter erfolgreicher Abruf" in html
    assert '<span class="kontor-badge">gesund</span>' in html
    assert "Rückstand der Bewegungsdaten (Bestand, Preise, Bestellungen)" in html
    assert "Schutzschalter" in html
