"""The daily summary email: what failed, what was retried, what still needs a person."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command

from integrations.models import InboundState, OutboundState
from monitoring.models import ChannelKind, Notification, NotificationChannel
from monitoring.services.summary import build_summary, send_daily_summary
from tests.monitoring.conftest import (
    NOW,
    inbound_event,
    make_connection,
    outbound_message,
    sync_error,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def support_channel():
    return NotificationChannel.objects.create(name="Support", kind=ChannelKind.EMAIL, recipients="support@example.com", daily_summary=True)


@pytest.fixture
def busy_shop():
    shop = make_connection("shop")
    # failed in the last 24 hours: two price errors and one timeout
    sync_error(shop, created_at=NOW - timedelta(hours=1), code="validation_failed", message="Price is missing.", external_id="SKU-1")
    sync_error(shop, created_at=NOW - timedelta(hours=2), code="validation_failed", message="Price is missing.", external_id="SKU-2")
    sync_error(shop, created_at=NOW - timedelta(hours=3), code="timeout", next_retry_at=NOW - timedelta(hours=3), external_id="SKU-3")
    # older, still open: needs a person but did not fail today
    sync_error(shop, created_at=NOW - timedelta(days=3), code="not_found", message="Product 77 not found in the shop.", external_id="SKU-77")
    # retried: resolved today, and items that succeeded on a later attempt
    sync_error(shop, created_at=NOW - timedelta(days=1, hours=2), resolved=True, resolved_at=NOW - timedelta(hours=5))
    outbound_message(shop, state=OutboundState.DELIVERED, delivered_at=NOW - timedelta(hours=4), attempts=3)
    outbound_message(shop, state=OutboundState.DELIVERED, delivered_at=NOW - timedelta(hours=4), attempts=1)
    inbound_event(shop, state=InboundState.PROCESSED, processed_at=NOW - timedelta(hours=1), attempts=2)
    return shop


def test_summary_categories(busy_shop):
    make_connection("quiet")

    summaries = {summary.connection.slug: summary for summary in build_summary(NOW)}

    shop = summaries["shop"]
    assert shop.failed == [("validation_failed", 2), ("timeout", 1)]
    assert shop.failed_total == 3
    assert shop.retried_delivered == 1
    assert shop.retried_processed == 1
    assert shop.resolved == 1
    # The timeout was retried from the admin and waits in the queue, so three need a person.
    assert shop.needs_person == 3
    assert [error.external_id for error in shop.needs_person_examples] == ["SKU-77", "SKU-2", "SKU-1"]
    assert summaries["quiet"].is_quiet


def test_summary_email(busy_shop, support_channel):
    # given a quiet connection next to the busy one
    make_connection("quiet")

    # when the summary is sent
    sent = send_daily_summary(NOW)

    # then support gets one email listing the busy shop only
    assert sent == 1
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.subject == "[Kontor] Daily summary: 3 failed, 3 need a person"
    assert email.to == ["support@example.com"]
    assert "Kontor sync summary from Dec. 1, 2026, 9 a.m. UTC to Dec. 2, 2026, 9 a.m. UTC." in email.body
    assert "== Shop (shop) ==" in email.body
    assert "Quiet" not in email.body
    assert "Failed: 3\n  - validation_failed: 2\n  - timeout: 1" in email.body
    assert "Retried: 1 delivered and 1 processed after more than one attempt, 1 sync errors resolved" in email.body
    assert "Needs a person: 3\n  - Nov. 29, 2026, 9 a.m. UTC products SKU-77: Product 77 not found in the shop." in email.body
    assert Notification.objects.get().kind == "summary"


def test_summary_when_nothing_happened(support_channel):
    make_connection("quiet")

    send_daily_summary(NOW)

    assert "Nothing failed, nothing was retried and no sync error is open." in mail.outbox[0].body


def test_summary_not_sent_without_channel(busy_shop):
    NotificationChannel.objects.create(name="Ops", kind=ChannelKind.EMAIL, recipients="ops@example.com", daily_summary=False)

    assert send_daily_summary(NOW) == 0
    assert mail.outbox == []


def test_summary_command(busy_shop, support_channel, capsys):
    call_command("monitoring", "--summary")

    assert capsys.readouterr().out == "Sent the daily summary to 1 channels.\n"
    assert len(mail.outbox) == 1
