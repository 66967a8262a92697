"""Dashboard and alert times are written as Django writes dates in the reader's language, in UTC."""

import json
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
import responses
from django.core import mail
from django.utils import timezone as django_timezone
from django.utils import translation

from core.formats import format_utc_datetime
from integrations.models import LeadingSystemRule, OutboundMessage
from monitoring.models import (
    AlertRule,
    ChannelKind,
    Incident,
    NotificationChannel,
    NotificationKind,
    RuleKind,
)
from monitoring.services.alerts import evaluate_rules
from monitoring.services.notify import notify_incident
from monitoring.services.readiness import record_heartbeat
from tests.monitoring.conftest import NOW, make_connection, outbound_message, sync_run

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/monitoring/dashboard/"
HOOK_URL = "https://hooks.example.invalid/kontor"
GERMAN_MONTHS = (
    "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember",
)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
SHOP_TILE = 'data-connection="shop"'
BACKLOG_TILE = "data-backlog="


def german_datetime(moment):
    """Write `moment` in UTC as Django's German DATETIME_FORMAT "j. F Y H:i" does, labelled UTC."""
    moment = moment.astimezone(UTC)
    return f"{moment.day}. {GERMAN_MONTHS[moment.month - 1]} {moment.year} {moment:%H:%M} UTC"


def test_format_utc_datetime_per_language():
    # 02:52 at UTC+1 is 01:52 UTC.
    moment = datetime(2026, 12, 6, 2, 52, 3, tzinfo=timezone(timedelta(hours=1)))

    with translation.override("de"):
        german = format_utc_datetime(moment)
    with translation.override("en"):
        english = format_utc_datetime(moment)

    assert german == "6. Dezember 2026 01:52 UTC"
    assert english == "Dec. 6, 2026, 1:52 a.m. UTC"


def test_format_utc_datetime_rejects_naive():
    with pytest.raises(ValueError, match="naive"):
        format_utc_datetime(datetime(2026, 12, 6, 1, 52))


@pytest.fixture
def dashboard_data():
    """Record a pull at 08:52, an order waiting since 08:30, an alert open since 08:56 and a heartbeat at 08:59:40 UTC."""
    shop = make_connection("shop")
    sync_run(shop, finished_at=NOW - timedelta(minutes=8))

    erp = make_connection("odoo-erp", name="Odoo ERP", kind="odoo")
    LeadingSystemRule.objects.create(domain="orders", field_group="status", connection=erp)
    message = outbound_message(erp, entity="orders", created_at=NOW - timedelta(minutes=30))
    OutboundMessage.objects.filter(pk=message.pk).update(object_id="1")

    rule = AlertRule.objects.create(name="Lag", kind=RuleKind.LAG, connection=shop)
    Incident.objects.create(rule=rule, connection=shop, opened_at=NOW - timedelta(minutes=4), message="Hot data is behind.")

    record_heartbeat("hot", now=NOW - timedelta(seconds=20))


def dashboard_main(client, language):
    """Return the page's main content in `language`, and the times just before and after the request."""
    before = django_timezone.now()
    with translation.override(language):
        html = client.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    after = django_timezone.now()
    start = html.index('<div id="content-main">')
    return html[start:], before, after


def field(html, name, section):
    """Return a field's text inside the tile whose opening tag contains `section`, such as data-connection="shop"."""
    start = html.index(section)
    tile = html[start:html.index("</section>", start)]
    return re.search(rf'data-field="{name}">(.*?)</dd>', tile).group(1)


def lane_time(html, lane):
    """Return the "Last heartbeat" cell of a lane's row."""
    return re.search(rf'<tr data-lane="{lane}"[^>]*>\s*<td>[^<]*</td>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>', html).group(1)


def incident_time(html, rule_name):
    return re.search(rf"<tr><td>([^<]*)</td><td>{rule_name}</td>", html).group(1)


def test_dashboard_times_in_german(admin_client, dashboard_data):
    main, before, after = dashboard_main(admin_client, "de")

    updated = re.search(r'<p class="kontor-updated">(.*?)</p>', main).group(1)
    assert updated in {f"Stand {german_datetime(moment)}. Laden Sie die Seite neu für aktuelle Zahlen." for moment in (before, after)}
    assert field(main, "last-pull", SHOP_TILE).startswith("2. Dezember 2026 08:52 UTC (vor ")
    assert field(main, "backlog-oldest", BACKLOG_TILE).startswith("2. Dezember 2026 08:30 UTC (vor ")
    assert incident_time(main, "Lag") == "2. Dezember 2026 08:56 UTC"
    assert lane_time(main, "hot") == "2. Dezember 2026 08:59 UTC"
    assert ISO_DATE.findall(main) == []


def test_dashboard_times_in_english(admin_client, dashboard_data):
    main, _before, _after = dashboard_main(admin_client, "en")

    assert field(main, "last-pull", SHOP_TILE).startswith("Dec. 2, 2026, 8:52 a.m. UTC (")
    assert field(main, "backlog-oldest", BACKLOG_TILE).startswith("Dec. 2, 2026, 8:30 a.m. UTC (")
    assert incident_time(main, "Lag") == "Dec. 2, 2026, 8:56 a.m. UTC"
    assert lane_time(main, "hot") == "Dec. 2, 2026, 8:59 a.m. UTC"
    assert ISO_DATE.findall(main) == []


@pytest.fixture
def hook():
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, HOOK_URL, status=200)
        yield mock


@pytest.fixture
def lag_rule():
    """Return a lag rule for the shop, whose stock message has waited 3 min 5 s at NOW, with an email and a webhook channel."""
    shop = make_connection("shop")
    email = NotificationChannel.objects.create(name="Support", kind=ChannelKind.EMAIL, recipients="support@example.com")
    webhook = NotificationChannel.objects.create(name="Slack", kind=ChannelKind.WEBHOOK, url=HOOK_URL)
    rule = AlertRule.objects.create(name="Rückstand", kind=RuleKind.LAG, connection=shop)
    rule.channels.set([email, webhook])
    outbound_message(shop, entity="stock", created_at=NOW - timedelta(minutes=3, seconds=5))
    return rule


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("de", "Offen seit: 2. Dezember 2026 09:00 UTC"),
        ("en", "Open since: Dec. 2, 2026, 9 a.m. UTC"),
    ],
)
def test_opened_alert_time_in_installation_language(settings, lag_rule, hook, language, expected):
    # given an installation in `language`
    settings.LANGUAGE_CODE = language

    # when the lag alert opens at 09:00 UTC
    evaluate_rules(NOW)

    # then email and webhook text write the time in that language, and the payload keeps ISO 8601
    body = json.loads(hook.calls[0].request.body)
    assert f"\n{expected}\n" in mail.outbox[0].body
    assert f"\n{expected}\n" in body["text"]
    assert ISO_DATE.findall(mail.outbox[0].body) == []
    assert body["opened_at"] == "2026-12-02T09:00:00+00:00"
    assert body["resolved_at"] is None


@pytest.mark.parametrize(
    ("language", "opened", "resolved"),
    [
        ("de", "Offen seit: 2. Dezember 2026 09:00 UTC", "Erledigt am: 2. Dezember 2026 13:07 UTC"),
        ("en", "Open since: Dec. 2, 2026, 9 a.m. UTC", "Resolved at: Dec. 2, 2026, 1:07 p.m. UTC"),
    ],
)
def test_resolved_alert_times_in_active_language(lag_rule, hook, language, opened, resolved):
    # given an incident resolved at 13:07 UTC
    incident = Incident.objects.create(
        rule=lag_rule, connection=lag_rule.connection, opened_at=NOW, resolved_at=NOW + timedelta(hours=4, minutes=7), message="Lag."
    )

    # when its resolved message is sent in `language`
    with translation.override(language):
        notify_incident(incident, NotificationKind.RESOLVED, NOW + timedelta(hours=4, minutes=7))

    # then the text writes both times in that language, and the payload keeps ISO 8601
    body = json.loads(hook.calls[0].request.body)
    assert mail.outbox[0].body.endswith(f"\n{opened}\n{resolved}")
    assert body["text"].endswith(f"\n{opened}\n{resolved}")
    assert body["opened_at"] == "2026-12-02T09:00:00+00:00"
    assert body["resolved_at"] == "2026-12-02T13:07:00+00:00"
