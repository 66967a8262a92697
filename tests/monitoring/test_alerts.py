"""Alert rules fire on their condition and not before, de-duplicate, remind and resolve."""

import json
from datetime import time, timedelta

import pytest
import responses
from django.core import mail

from integrations.models import InboundState, OutboundState
from monitoring.models import (
    AlertRule,
    ChannelKind,
    Incident,
    LagTarget,
    Notification,
    NotificationChannel,
    RuleKind,
)
from monitoring.services.alerts import evaluate_rules
from tests.monitoring.conftest import (
    NOW,
    inbound_event,
    make_connection,
    open_circuit,
    outbound_message,
    sync_error,
)

pytestmark = pytest.mark.django_db

HOOK_URL = "https://hooks.example.invalid/kontor"


@pytest.fixture
def shop():
    return make_connection("shop", time_zone="Europe/Berlin")


@pytest.fixture
def email_channel():
    return NotificationChannel.objects.create(name="Support", kind=ChannelKind.EMAIL, recipients="support@example.com, ops@example.com")


@pytest.fixture
def webhook_channel():
    return NotificationChannel.objects.create(name="Slack", kind=ChannelKind.WEBHOOK, url=HOOK_URL)


@pytest.fixture
def hook():
    # Not every test sends to the hook; those that do assert the calls themselves.
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, HOOK_URL, status=200)
        yield mock


def make_rule(kind, channels=(), **fields):
    rule = AlertRule.objects.create(name=fields.pop("name", RuleKind(kind).label.capitalize()), kind=kind, **fields)
    rule.channels.set(channels)
    return rule


def hook_bodies(hook):
    return [json.loads(call.request.body) for call in hook.calls]


def test_error_rate_fires_at_threshold_not_below(shop, email_channel, webhook_channel, hook):
    # given four items sent in the last hour, one of them failed (25 %)
    make_rule(RuleKind.ERROR_RATE, [email_channel, webhook_channel], threshold=50, minimum_count=2, window_minutes=60)
    for minutes in (10, 20, 30, 40):
        sent_at = NOW - timedelta(minutes=minutes)
        outbound_message(shop, created_at=sent_at, state=OutboundState.DELIVERED, delivered_at=sent_at)
    sync_error(shop, created_at=NOW - timedelta(minutes=5))

    # when evaluated below the threshold
    counts = evaluate_rules(NOW)

    # then nothing opens
    assert counts["opened"] == 0
    assert Incident.objects.count() == 0
    assert mail.outbox == []
    assert len(hook.calls) == 0

    # when a second item fails (50 %)
    sync_error(shop, created_at=NOW - timedelta(minutes=4))
    counts = evaluate_rules(NOW)

    # then one incident opens and both channels get one alert
    assert counts["opened"] == 1
    incident = Incident.objects.get()
    assert incident.connection == shop
    assert incident.message == "2 of 4 items failed in the last 60 minutes (50%, threshold 50%)."
    assert incident.last_notified_at == NOW
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "[Kontor] Alert: Error rate – Shop"
    assert mail.outbox[0].to == ["support@example.com", "ops@example.com"]
    assert incident.message in mail.outbox[0].body
    assert "/admin/monitoring/dashboard/" in mail.outbox[0].body
    body = hook_bodies(hook)[0]
    assert body["status"] == "opened"
    assert body["connection"] == "shop"
    assert body["text"].startswith("[Kontor] Alert: Error rate – Shop\n2 of 4 items failed")
    assert Notification.objects.filter(kind="opened", succeeded=True).count() == 2


def test_error_rate_needs_minimum_count(shop):
    # given one failed item out of one (100 %), but the rule wants two failures
    make_rule(RuleKind.ERROR_RATE, threshold=10, minimum_count=2)
    outbound_message(shop, created_at=NOW - timedelta(minutes=1))
    sync_error(shop, created_at=NOW - timedelta(minutes=1))

    # when evaluated
    evaluate_rules(NOW)

    # then no alert opens
    assert Incident.objects.count() == 0


def test_open_alert_deduplicates_reminds_and_resolves(shop, email_channel, webhook_channel, hook):
    # given an open error-rate alert with a 30-minute reminder interval
    make_rule(RuleKind.ERROR_RATE, [email_channel, webhook_channel], threshold=50, minimum_count=1, window_minutes=60, reminder_minutes=30)
    sync_error(shop, created_at=NOW - timedelta(minutes=5))
    evaluate_rules(NOW)
    assert len(mail.outbox) == 1

    # when the condition still holds before the reminder interval
    counts = evaluate_rules(NOW + timedelta(minutes=29))

    # then nothing is sent again and the incident stays the only one
    assert counts == {"opened": 0, "reminder": 0, "resolved": 0}
    assert len(mail.outbox) == 1
    assert len(hook.calls) == 1
    assert Incident.objects.count() == 1

    # when the reminder interval has passed
    counts = evaluate_rules(NOW + timedelta(minutes=30))

    # then one reminder goes out
    assert counts["reminder"] == 1
    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject == "[Kontor] Still open: Error rate – Shop"
    assert hook_bodies(hook)[1]["status"] == "reminder"
    assert Incident.objects.get().last_notified_at == NOW + timedelta(minutes=30)

    # when the next reminder is not due yet
    evaluate_rules(NOW + timedelta(minutes=45))
    assert len(mail.outbox) == 2

    # when the failure leaves the 60-minute window (it was recorded at NOW - 5 min)
    counts = evaluate_rules(NOW + timedelta(minutes=56))

    # then the incident resolves with a resolved message
    assert counts["resolved"] == 1
    incident = Incident.objects.get()
    assert incident.resolved_at == NOW + timedelta(minutes=56)
    assert len(mail.outbox) == 3
    assert mail.outbox[2].subject == "[Kontor] Resolved: Error rate – Shop"
    assert "Resolved at: Dec. 2, 2026, 9:56 a.m. UTC" in mail.outbox[2].body
    assert hook_bodies(hook)[2]["status"] == "resolved"
    assert hook_bodies(hook)[2]["resolved_at"] == "2026-12-02T09:56:00+00:00"

    # when evaluated again with nothing wrong
    counts = evaluate_rules(NOW + timedelta(minutes=57))

    # then nothing more is sent
    assert counts == {"opened": 0, "reminder": 0, "resolved": 0}
    assert len(mail.outbox) == 3


def test_condition_returning_opens_a_new_incident(shop, email_channel):
    # given an incident that resolved
    make_rule(RuleKind.QUEUE_DEPTH, [email_channel], threshold=0)
    message = outbound_message(shop, created_at=NOW)
    evaluate_rules(NOW)
    message.state = OutboundState.DELIVERED
    message.save()
    evaluate_rules(NOW + timedelta(minutes=1))

    # when the condition holds again
    outbound_message(shop, created_at=NOW + timedelta(minutes=2))
    evaluate_rules(NOW + timedelta(minutes=2))

    # then a second incident opens
    assert Incident.objects.count() == 2
    assert Incident.objects.filter(resolved_at__isnull=True).count() == 1
    assert [m.subject.split(":")[0] for m in mail.outbox] == ["[Kontor] Alert", "[Kontor] Resolved", "[Kontor] Alert"]


def test_lag_fires_over_target_not_at_target(shop, email_channel):
    # given a 120 s stock target for this connection and a stock update waiting for 120 s
    LagTarget.objects.create(connection=shop, data_class="hot", target_seconds=120)
    make_rule(RuleKind.LAG, [email_channel])
    outbound_message(shop, entity="stock", created_at=NOW - timedelta(seconds=120))

    # when evaluated at the target
    evaluate_rules(NOW)

    # then nothing opens
    assert Incident.objects.count() == 0

    # when a second later the lag is over the target
    evaluate_rules(NOW + timedelta(seconds=1))

    # then the lag alert opens and names the data class
    incident = Incident.objects.get()
    assert incident.message == "Hot data is 2 min 1 s behind, target 2 min."


def test_lag_uses_default_targets_per_data_class(shop):
    # given a product update waiting 10 minutes: master data, default target 15 minutes
    make_rule(RuleKind.LAG)
    inbound_event(shop, entity="products", received_at=NOW - timedelta(minutes=10), state=InboundState.PENDING)

    # when evaluated
    evaluate_rules(NOW)

    # then it is within target
    assert Incident.objects.count() == 0

    # when a default row lowers the master target to 5 minutes
    LagTarget.objects.create(connection=None, data_class="master", target_seconds=300)
    evaluate_rules(NOW)

    # then it is over target
    assert Incident.objects.get().message == "Master data is 10 min behind, target 5 min."


def test_circuit_open_fires_and_resolves(shop, email_channel):
    # given a rule on the circuit breaker and a closed circuit
    make_rule(RuleKind.CIRCUIT_OPEN, [email_channel], name="Circuit")
    evaluate_rules(NOW)
    assert Incident.objects.count() == 0

    # when the circuit opens after repeated failures
    breaker = open_circuit(shop)
    evaluate_rules(NOW)

    # then an alert opens
    incident = Incident.objects.get()
    assert incident.message.startswith("The circuit breaker is open: after repeated server errors")
    assert mail.outbox[0].subject == "[Kontor] Alert: Circuit – Shop"

    # when a call succeeds and closes it
    breaker.record_success()
    evaluate_rules(NOW + timedelta(minutes=1))

    # then the alert resolves
    incident.refresh_from_db()
    assert incident.resolved_at == NOW + timedelta(minutes=1)
    assert mail.outbox[1].subject == "[Kontor] Resolved: Circuit – Shop"


def test_queue_depth_fires_above_threshold(shop):
    # given a threshold of 2 and two waiting items
    make_rule(RuleKind.QUEUE_DEPTH, threshold=2)
    outbound_message(shop)
    inbound_event(shop, state=InboundState.PENDING)

    # when evaluated at the threshold
    evaluate_rules(NOW)

    # then nothing opens
    assert Incident.objects.count() == 0

    # when an in-flight message makes three
    outbound_message(shop, state=OutboundState.IN_FLIGHT)
    evaluate_rules(NOW)

    # then the alert opens with the split
    assert Incident.objects.get().message == "3 items are waiting: 1 in the inbox and 2 in the outbox (threshold 2)."


@pytest.fixture
def orders_rule(shop, email_channel):
    # Weekdays 08:00 to 20:00 in the shop's time zone (Europe/Berlin, UTC+1 in December).
    return make_rule(
        RuleKind.NO_TRAFFIC,
        [email_channel],
        name="No orders",
        connection=shop,
        entity="orders",
        window_minutes=60,
        weekdays="12345",
        opens_at=time(8, 0),
        closes_at=time(20, 0),
    )


def test_no_traffic_fires_during_opening_hours(shop, orders_rule):
    # given the last order 61 minutes ago and a stock event just now
    inbound_event(shop, entity="orders", received_at=NOW - timedelta(minutes=61))
    inbound_event(shop, entity="stock", received_at=NOW)

    # when evaluated on Wednesday 10:00 Berlin time
    evaluate_rules(NOW)

    # then the no-orders alert opens
    incident = Incident.objects.get()
    assert incident.message == "No orders received from Shop in the last 60 minutes of opening hours."
    assert mail.outbox[0].subject == "[Kontor] Alert: No orders – Shop"

    # when an order arrives
    inbound_event(shop, entity="orders", received_at=NOW + timedelta(minutes=1))
    evaluate_rules(NOW + timedelta(minutes=2))

    # then the alert resolves
    incident.refresh_from_db()
    assert incident.resolved_at == NOW + timedelta(minutes=2)


def test_no_traffic_waits_a_full_window_after_opening(shop, orders_rule):
    # given no orders at all, at 08:30 Berlin time (07:30 UTC), half an hour after opening
    morning = NOW.replace(hour=7, minute=30)

    # when evaluated
    evaluate_rules(morning)

    # then nothing opens, because the shop was closed for half the window
    assert Incident.objects.count() == 0

    # when evaluated at 09:00 Berlin time, a full hour after opening
    evaluate_rules(NOW.replace(hour=8, minute=0))

    # then the alert opens
    assert Incident.objects.count() == 1


def test_no_traffic_silent_outside_opening_hours(shop, orders_rule):
    # given no orders at all
    saturday = NOW + timedelta(days=3)
    evening = NOW.replace(hour=19, minute=30)

    # when evaluated on Saturday and at 20:30 Berlin time
    evaluate_rules(saturday)
    evaluate_rules(evening)

    # then nothing opens
    assert Incident.objects.count() == 0


def test_failed_webhook_is_tried_again(shop, webhook_channel):
    # given a webhook receiver that fails
    make_rule(RuleKind.QUEUE_DEPTH, [webhook_channel], threshold=0)
    outbound_message(shop)
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, HOOK_URL, status=500)

        # when the alert opens
        evaluate_rules(NOW)

    # then the failure is stored and the incident counts as not notified
    failed = Notification.objects.get()
    assert failed.succeeded is False
    assert failed.error == "webhook returned HTTP 500"
    assert Incident.objects.get().last_notified_at is None

    # when the receiver works again at the next evaluation
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, HOOK_URL, status=200)
        evaluate_rules(NOW + timedelta(minutes=1))
        assert json.loads(mock.calls[0].request.body)["status"] == "opened"

    # then the alert is sent as an opening alert and marked notified
    assert Incident.objects.get().last_notified_at == NOW + timedelta(minutes=1)


def test_disabled_connection_resolves_its_alerts(shop):
    # given an open queue-depth alert
    make_rule(RuleKind.QUEUE_DEPTH, threshold=0)
    outbound_message(shop)
    evaluate_rules(NOW)

    # when the connection is switched off
    shop.enabled = False
    shop.save()
    counts = evaluate_rules(NOW + timedelta(minutes=1))

    # then its alert resolves
    assert counts["resolved"] == 1
    assert Incident.objects.get().resolved_at == NOW + timedelta(minutes=1)


def test_rule_for_all_connections_opens_one_incident_each(email_channel):
    # given two connections with waiting items and one rule for all
    first, second = make_connection("first"), make_connection("second")
    make_rule(RuleKind.QUEUE_DEPTH, [email_channel], threshold=0)
    outbound_message(first)
    outbound_message(second)

    # when evaluated twice
    evaluate_rules(NOW)
    evaluate_rules(NOW + timedelta(minutes=1))

    # then each connection has one incident and one email
    assert sorted(Incident.objects.values_list("connection__slug", flat=True)) == ["first", "second"]
    assert sorted(m.subject for m in mail.outbox) == ["[Kontor] Alert: Queue depth – First", "[Kontor] Alert: Queue depth – Second"]
