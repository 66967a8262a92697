"""The demo of `make run` ships alert rules, and its order backlog rule fires in an ERP outage."""

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import translation

from core.demo import DEMO_STEPS, create_demo_alert_rules, prepare_shop_and_erp_demo
from integrations.models import OutboundState
from monitoring.demo import ORDER_BACKLOG_MINUTES, ORDER_BACKLOG_THRESHOLD
from monitoring.models import AlertRule, Incident, NotificationChannel, RuleKind
from monitoring.services.alerts import evaluate_rules
from monitoring.services.conditions import measure
from tests.monitoring.conftest import NOW, make_connection
from tests.monitoring.test_order_backlog import make_erp, order_message

pytestmark = pytest.mark.django_db


def run_step():
    output = io.StringIO()
    create_demo_alert_rules(output)
    return output.getvalue()


def test_demo_step_runs_after_erp_setup():
    assert create_demo_alert_rules in DEMO_STEPS
    assert DEMO_STEPS.index(create_demo_alert_rules) > DEMO_STEPS.index(prepare_shop_and_erp_demo)


def test_demo_creates_rules_once(settings):
    settings.LANGUAGE_CODE = "en"

    first = run_step()
    second = run_step()

    rules = {rule.name: rule for rule in AlertRule.objects.prefetch_related("channels")}
    assert sorted(rule.kind for rule in rules.values()) == sorted(
        [RuleKind.ORDER_BACKLOG, RuleKind.ERROR_RATE, RuleKind.LAG, RuleKind.CIRCUIT_OPEN]
    )
    backlog = rules["Orders wait for the ERP"]
    assert backlog.threshold == ORDER_BACKLOG_THRESHOLD
    assert backlog.window_minutes == ORDER_BACKLOG_MINUTES
    assert backlog.connection is None
    errors = rules["Sync errors rising"]
    assert (errors.threshold, errors.minimum_count, errors.window_minutes) == (10, 5, 30)
    assert all(rule.enabled for rule in rules.values())
    channel = NotificationChannel.objects.get()
    assert channel.recipient_list == ["support@example.com"]
    assert all(list(rule.channels.all()) == [channel] for rule in rules.values())
    assert "4 demo rules created" in first
    assert "4 present, the demo adds none" in second


def test_demo_keeps_existing_rules():
    AlertRule.objects.create(name="Own rule", kind=RuleKind.CIRCUIT_OPEN)

    output = run_step()

    assert list(AlertRule.objects.values_list("name", flat=True)) == ["Own rule"]
    assert NotificationChannel.objects.count() == 0
    assert "1 present" in output


def test_demo_without_sandbox_adds_nothing(settings):
    settings.SANDBOX_ENABLED = False

    output = run_step()

    assert AlertRule.objects.count() == 0
    assert "Sandbox is off" in output


def test_demo_rule_names_in_german(settings):
    settings.LANGUAGE_CODE = "de"

    run_step()

    assert sorted(AlertRule.objects.values_list("name", flat=True)) == [
        "Bestellungen warten auf das ERP",
        "Synchronisationsfehler nehmen zu",
        "Verbindung nicht erreichbar",
        "Änderungen warten länger als ihr Zielwert",
    ]
    assert NotificationChannel.objects.get().name == "Support (Demo, Ausgabe in der Konsole)"


def test_demo_backlog_rule_fires_in_outage(settings):
    # given the demo rules, and an ERP that has taken no order for 12 minutes while 30 arrived,
    # one every 20 seconds, so that 22 of them waited already 5 minutes ago
    settings.LANGUAGE_CODE = "en"
    run_step()
    erp = make_erp()
    make_connection("shop")
    for number in range(30):
        order_message(erp, object_id=number, created_at=NOW - timedelta(minutes=12) + timedelta(seconds=20 * number), attempts=2)

    # when the rules are evaluated
    evaluate_rules(NOW)

    # then the backlog rule opens one incident, for the ERP, and support gets an email
    incident = Incident.objects.get(rule__kind=RuleKind.ORDER_BACKLOG)
    assert incident.connection == erp
    assert incident.message == "30 orders wait for Odoo ERP. At least 22 waited all through the last 5 minutes (threshold 20)."
    assert [email.subject for email in mail.outbox if "Orders wait for the ERP" in email.subject] == [
        "[Kontor] Alert: Orders wait for the ERP – Odoo ERP"
    ]


def test_backlog_rule_needs_whole_window():
    # given 25 orders waiting that all arrived in the last two minutes
    erp = make_erp()
    rule = AlertRule.objects.create(name="Backlog", kind=RuleKind.ORDER_BACKLOG, threshold=20, window_minutes=5)
    for number in range(25):
        order_message(erp, object_id=number, created_at=NOW - timedelta(seconds=4 * number))

    # when measured
    measurement = measure(rule, erp, NOW)

    # then the count was under the threshold at the window's start, so the rule does not fire
    assert not measurement.firing
    assert measurement.value == 0.0


def test_backlog_rule_counts_delivered_since():
    # given 22 orders that waited through the whole window, two of them delivered a minute ago
    erp = make_erp()
    rule = AlertRule.objects.create(name="Backlog", kind=RuleKind.ORDER_BACKLOG, threshold=20, window_minutes=5)
    for number in range(22):
        delivered = number < 2
        order_message(
            erp,
            object_id=number,
            created_at=NOW - timedelta(minutes=8),
            state=OutboundState.DELIVERED if delivered else OutboundState.PENDING,
            delivered_at=NOW - timedelta(minutes=1) if delivered else None,
        )

    # when measured
    measurement = measure(rule, erp, NOW)

    # then the lowest count in the window is now's 20, not above the threshold of 20
    assert measurement.value == 20.0
    assert not measurement.firing
    assert str(measurement.message).startswith("20 orders wait for Odoo ERP. At least 20 waited")


def test_backlog_rule_ignores_other_connections():
    make_erp()
    shop = make_connection("shop")
    rule = AlertRule.objects.create(name="Backlog", kind=RuleKind.ORDER_BACKLOG, threshold=0, window_minutes=5)
    order_message(shop, object_id=1, created_at=NOW - timedelta(minutes=30))

    measurement = measure(rule, shop, NOW)

    assert not measurement.firing
    assert str(measurement.message) == "Shop does not lead the order status, so no orders wait for it."


def test_backlog_rule_reads_one_query(django_assert_num_queries):
    erp = make_erp()
    rule = AlertRule.objects.create(name="Backlog", kind=RuleKind.ORDER_BACKLOG, threshold=5, window_minutes=240)
    for number in range(10):
        order_message(erp, object_id=number, created_at=NOW - timedelta(hours=5))

    # One query for the ERP's id, one for the counts, however long the window.
    with django_assert_num_queries(2):
        measurement = measure(rule, erp, NOW)

    assert measurement.firing
    assert measurement.value == 10.0


def test_backlog_rule_message_in_german():
    erp = make_erp()
    rule = AlertRule.objects.create(name="Rückstand", kind=RuleKind.ORDER_BACKLOG, threshold=0, window_minutes=5)
    order_message(erp, object_id=1, created_at=NOW - timedelta(minutes=7))

    measurement = measure(rule, erp, NOW)

    # The message renders in the language active when it is read.
    with translation.override("de"):
        german = str(measurement.message)
    assert german == (
        "1 Bestellung wartet auf Odoo ERP. Während der gesamten letzten 5 Minuten waren es mindestens 1 (Schwellwert 0)."
    )
    assert str(measurement.message) == "1 order waits for Odoo ERP. At least 1 waited all through the last 5 minutes (threshold 0)."
