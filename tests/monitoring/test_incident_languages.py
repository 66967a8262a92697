"""An incident's message is kept in every language, so each reader sees their own."""

from datetime import timedelta

import pytest
from django.utils import translation

from monitoring.models import AlertRule, Incident, RuleKind
from monitoring.services.alerts import evaluate_rules
from tests.monitoring.conftest import NOW, make_connection, outbound_message, sync_error

pytestmark = pytest.mark.django_db

ENGLISH_RATE = "5 of 6 items failed in the last 30 minutes (83%, threshold 10%)."
GERMAN_RATE = "5 von 6 Elementen sind in den letzten 30 Minuten fehlgeschlagen (83 %, Schwellwert 10 %)."


@pytest.fixture
def failing_shop():
    # Five of six items sent in the last half hour failed.
    shop = make_connection("shop")
    AlertRule.objects.create(name="Sync errors rising", kind=RuleKind.ERROR_RATE, threshold=10, minimum_count=5, window_minutes=30)
    for _ in range(6):
        outbound_message(shop, created_at=NOW - timedelta(minutes=20), delivered_at=NOW - timedelta(minutes=10))
    for _ in range(5):
        sync_error(shop, created_at=NOW - timedelta(minutes=5))
    return shop


def test_english_worker_german_reader(settings, failing_shop, admin_client):
    # given an English installation whose alert worker opened the incident
    settings.LANGUAGE_CODE = "en"
    evaluate_rules(NOW)
    incident = Incident.objects.get()

    # when a German reader opens the dashboard
    with translation.override("de"):
        html = admin_client.get("/admin/monitoring/dashboard/", HTTP_ACCEPT_LANGUAGE="de").content.decode()

    # then the message is German there, and English as stored for the alert
    assert GERMAN_RATE in html
    assert ENGLISH_RATE not in html
    assert incident.message == ENGLISH_RATE
    assert incident.message_translations["de"] == GERMAN_RATE


def test_incident_list_in_reader_language(settings, failing_shop, admin_client):
    # given an incident opened by an English worker
    settings.LANGUAGE_CODE = "en"
    evaluate_rules(NOW)

    # when a German reader opens the incident list
    with translation.override("de"):
        html = admin_client.get("/admin/monitoring/incident/", HTTP_ACCEPT_LANGUAGE="de").content.decode()

    # then the message is German
    assert GERMAN_RATE in html


def test_lag_message_capitalized_in_each_language(settings):
    # given a lag incident opened by an English worker
    settings.LANGUAGE_CODE = "en"
    shop = make_connection("shop")
    AlertRule.objects.create(name="Lag", kind=RuleKind.LAG, connection=shop)
    outbound_message(shop, entity="stock", created_at=NOW - timedelta(minutes=3, seconds=5))

    # when the rule is evaluated
    evaluate_rules(NOW)

    # then each language has its own sentence with its own durations
    incident = Incident.objects.get()
    assert incident.message_translations["en"] == "Hot data is 3 min 5 s behind, target 1 min."
    assert incident.message_translations["de"] == "Bewegungsdaten sind 3 min 5 s im Rückstand, Ziel 1 min."


def test_old_incident_keeps_its_text(failing_shop, admin_client):
    # given an incident stored before messages were kept in every language
    rule = AlertRule.objects.get()
    Incident.objects.create(rule=rule, connection=failing_shop, opened_at=NOW, message="Old text in English.")

    # when a German reader opens the dashboard
    with translation.override("de"):
        html = admin_client.get("/admin/monitoring/dashboard/", HTTP_ACCEPT_LANGUAGE="de").content.decode()

    # then the stored text is shown
    assert "Old text in English." in html
