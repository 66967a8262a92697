"""The history purge deletes only finished outbox, inbox and sync rows older than its cut-off."""

import logging
import threading
import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.models import Schedule

from integrations import tasks
from integrations.models import (
    Conflict,
    Connection,
    InboundEvent,
    InboundState,
    OutboundMessage,
    OutboundState,
    SyncError,
    SyncRun,
    SyncRunState,
)
from integrations.services import retention
from integrations.services.retention import purge_history
from orders.models import Order
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()
BEFORE = NOW - timedelta(days=90)
OLD = NOW - timedelta(days=100)
RECENT = NOW - timedelta(days=10)


@pytest.fixture
def erp():
    return Connection.objects.create(kind="odoo", name="Odoo", slug="odoo", base_url="https://erp.example.com")


@pytest.fixture
def order():
    return OrderFactory(external_number="10042")


def add_message(erp, order, state, tag, *, created_at, delivered_at=None):
    message = OutboundMessage.objects.create(
        connection=erp, entity="orders", content_type=ContentType.objects.get_for_model(Order), object_id=str(order.pk),
        payload={"tag": tag}, fingerprint="0" * 64, idempotency_key=uuid.uuid4().hex, lane="hot", state=state,
        next_attempt_at=created_at,
    )
    # created_at is set on insert (auto_now_add), so the age is written afterwards.
    OutboundMessage.objects.filter(pk=message.pk).update(created_at=created_at, delivered_at=delivered_at)
    return message


def add_event(erp, state, tag, *, received_at, processed_at=None):
    return InboundEvent.objects.create(
        connection=erp, entity="orders", external_id=tag, dedup_key=f"order:{tag}", source="pull",
        payload={"tag": tag}, received_at=received_at, processed_at=processed_at, state=state,
    )


def add_run(erp, tag, *, started_at, finished_at):
    state = SyncRunState.RUNNING if finished_at is None else SyncRunState.SUCCEEDED
    return SyncRun.objects.create(
        kind="pull", connection=erp, entity="orders", state=state, started_at=started_at, finished_at=finished_at, message=tag,
    )


def add_error(erp, tag, *, resolved_at=None, created_at=OLD, **links):
    error = SyncError.objects.create(
        connection=erp, direction="outbound", entity="orders", external_id=tag, code="remote_rejected",
        message=tag, resolved=resolved_at is not None, resolved_at=resolved_at, **links,
    )
    SyncError.objects.filter(pk=error.pk).update(created_at=created_at)
    return error


def message_tags():
    return sorted(OutboundMessage.objects.values_list("payload__tag", flat=True))


def event_tags():
    return sorted(InboundEvent.objects.values_list("external_id", flat=True))


def run_tags():
    return sorted(SyncRun.objects.values_list("message", flat=True))


def error_tags():
    return sorted(SyncError.objects.values_list("external_id", flat=True))


@pytest.fixture
def history(erp, order):
    """Old and recent rows of every state, so each test checks what stays next to what goes."""
    for state in OutboundState.values:
        finished_old = OLD if state == OutboundState.DELIVERED else None
        finished_recent = RECENT if state == OutboundState.DELIVERED else None
        add_message(erp, order, state, f"old {state}", created_at=OLD, delivered_at=finished_old)
        add_message(erp, order, state, f"recent {state}", created_at=RECENT, delivered_at=finished_recent)
    # Created before the cut-off but delivered after it: its last relevant time is recent.
    add_message(erp, order, OutboundState.DELIVERED, "old delivered late", created_at=OLD, delivered_at=RECENT)

    for state in InboundState.values:
        finished_old = OLD if state in (InboundState.PROCESSED, InboundState.IGNORED) else None
        finished_recent = RECENT if state in (InboundState.PROCESSED, InboundState.IGNORED) else None
        add_event(erp, state, f"old {state}", received_at=OLD, processed_at=finished_old)
        add_event(erp, state, f"recent {state}", received_at=RECENT, processed_at=finished_recent)
    add_event(erp, InboundState.PROCESSED, "old processed late", received_at=OLD, processed_at=RECENT)

    add_run(erp, "old finished", started_at=OLD, finished_at=OLD)
    add_run(erp, "old finished late", started_at=OLD, finished_at=RECENT)
    add_run(erp, "recent finished", started_at=RECENT, finished_at=RECENT)
    add_run(erp, "old running", started_at=OLD, finished_at=None)

    add_error(erp, "old resolved", resolved_at=OLD)
    add_error(erp, "old resolved late", resolved_at=RECENT)
    add_error(erp, "old unresolved")
    add_error(erp, "recent resolved", resolved_at=RECENT, created_at=RECENT)


def test_purge_deletes_only_old_finished_rows(history):
    counts = purge_history(BEFORE)

    assert counts == {"sync_errors": 1, "outbound_messages": 4, "inbound_events": 2, "sync_runs": 1}
    assert message_tags() == sorted(
        [f"old {state}" for state in ("pending", "in_flight", "failed")]
        + [f"recent {state}" for state in OutboundState.values]
        + ["old delivered late"]
    )
    assert event_tags() == sorted(
        ["old pending", "old failed", "old processed late"] + [f"recent {state}" for state in InboundState.values]
    )
    assert run_tags() == ["old finished late", "old running", "recent finished"]
    assert error_tags() == ["old resolved late", "old unresolved", "recent resolved"]


def test_purge_keeps_orders_and_connection(history, order):
    purge_history(BEFORE)

    assert Order.objects.filter(pk=order.pk).exists()
    assert Connection.objects.filter(slug="odoo").exists()


def test_conflict_survives_its_purged_event(erp, order):
    event = add_event(erp, InboundState.PROCESSED, "old processed", received_at=OLD, processed_at=OLD)
    conflict = Conflict.objects.create(
        connection=erp, content_type=ContentType.objects.get_for_model(Order), object_id=str(order.pk), domain="orders",
        field="status", current_value="open", incoming_value="cancelled", inbound_event=event,
    )

    counts = purge_history(BEFORE)

    assert counts["inbound_events"] == 1
    conflict.refresh_from_db()
    assert conflict.inbound_event is None
    assert conflict.incoming_value == "cancelled"


@pytest.mark.parametrize("state", [OutboundState.DELIVERED, OutboundState.SUPERSEDED])
def test_message_with_unresolved_error_stays(erp, order, state):
    delivered_at = OLD if state == OutboundState.DELIVERED else None
    message = add_message(erp, order, state, "old with open error", created_at=OLD, delivered_at=delivered_at)
    add_error(erp, "open error", outbound_message=message)

    counts = purge_history(BEFORE)

    assert counts["outbound_messages"] == 0
    assert message_tags() == ["old with open error"]
    assert error_tags() == ["open error"]


def test_message_with_error_resolved_late_stays(erp, order):
    message = add_message(erp, order, OutboundState.DELIVERED, "old", created_at=OLD, delivered_at=OLD)
    add_error(erp, "resolved after cut-off", resolved_at=RECENT, outbound_message=message)

    counts = purge_history(BEFORE)

    assert counts == {"sync_errors": 0, "outbound_messages": 0, "inbound_events": 0, "sync_runs": 0}
    assert message_tags() == ["old"]
    assert error_tags() == ["resolved after cut-off"]


def test_message_purged_with_resolved_error(erp, order):
    message = add_message(erp, order, OutboundState.DELIVERED, "old", created_at=OLD, delivered_at=OLD)
    add_error(erp, "resolved", resolved_at=OLD, outbound_message=message)

    counts = purge_history(BEFORE)

    assert counts == {"sync_errors": 1, "outbound_messages": 1, "inbound_events": 0, "sync_runs": 0}
    assert message_tags() == []
    assert error_tags() == []


def test_event_with_unresolved_error_stays(erp):
    event = add_event(erp, InboundState.IGNORED, "old ignored", received_at=OLD, processed_at=OLD)
    add_error(erp, "open error", inbound_event=event)

    counts = purge_history(BEFORE)

    assert counts["inbound_events"] == 0
    assert event_tags() == ["old ignored"]
    assert error_tags() == ["open error"]


def test_run_named_by_unresolved_error_stays(erp):
    run = add_run(erp, "old finished", started_at=OLD, finished_at=OLD)
    add_error(erp, "open error", sync_run=run)

    counts = purge_history(BEFORE)

    assert counts["sync_runs"] == 0
    assert SyncError.objects.get().sync_run_id == run.pk


def test_dry_run_counts_without_deleting(history):
    before_counts = (OutboundMessage.objects.count(), InboundEvent.objects.count(), SyncRun.objects.count(), SyncError.objects.count())

    dry_counts = purge_history(BEFORE, dry_run=True)

    after_counts = (OutboundMessage.objects.count(), InboundEvent.objects.count(), SyncRun.objects.count(), SyncError.objects.count())
    assert after_counts == before_counts
    assert dry_counts == purge_history(BEFORE)


def test_small_batches_delete_every_row(erp, order):
    for number in range(5):
        add_message(erp, order, OutboundState.DELIVERED, f"old {number}", created_at=OLD, delivered_at=OLD)
    reports = []

    counts = purge_history(BEFORE, batch_size=2, progress=lambda kind, deleted: reports.append((kind, deleted)))

    assert counts["outbound_messages"] == 5
    assert message_tags() == []
    assert [deleted for kind, deleted in reports if kind == "outbound_messages"] == [2, 4, 5]


def purge_in_other_connection():
    """Run the purge in a thread with its own database connection and return its counts."""
    result = {}

    def run():
        try:
            result["counts"] = purge_history(BEFORE)
        finally:
            db_connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    return result["counts"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_locked_message_stays_for_next_purge(erp, order):
    locked = add_message(erp, order, OutboundState.DELIVERED, "locked", created_at=OLD, delivered_at=OLD)
    add_message(erp, order, OutboundState.DELIVERED, "free", created_at=OLD, delivered_at=OLD)

    with transaction.atomic():
        list(OutboundMessage.objects.select_for_update().filter(pk=locked.pk))
        counts = purge_in_other_connection()

    assert counts["outbound_messages"] == 1
    assert message_tags() == ["locked"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_locked_conflict_fails_only_its_batch(erp, order, monkeypatch, caplog):
    monkeypatch.setattr(retention, "LOCK_TIMEOUT_SECONDS", 0.5)
    event = add_event(erp, InboundState.PROCESSED, "old processed", received_at=OLD, processed_at=OLD)
    conflict = Conflict.objects.create(
        connection=erp, content_type=ContentType.objects.get_for_model(Order), object_id=str(order.pk), domain="orders",
        field="status", current_value="open", incoming_value="cancelled", inbound_event=event,
    )
    add_message(erp, order, OutboundState.DELIVERED, "old delivered", created_at=OLD, delivered_at=OLD)

    with caplog.at_level(logging.ERROR, logger="integrations.services.retention"):
        with transaction.atomic():
            list(Conflict.objects.select_for_update().filter(pk=conflict.pk))
            counts = purge_in_other_connection()

    assert counts["inbound_events"] == 0
    assert counts["outbound_messages"] == 1
    assert event_tags() == ["old processed"]
    failures = [record for record in caplog.records if record.getMessage() == "history purge batch failed"]
    assert len(failures) == 1
    assert failures[0].kind == "inbound_events"
    assert (failures[0].first_id, failures[0].last_id) == (event.pk, event.pk)


def test_naive_cut_off_raises(erp):
    with pytest.raises(ValueError, match="aware UTC datetime"):
        purge_history(BEFORE.replace(tzinfo=None))


@pytest.mark.parametrize("days", ["0", "-5", "ninety"])
def test_command_rejects_bad_older_than(days):
    with pytest.raises(CommandError) as raised:
        call_command("purge_history", "--older-than", days, stdout=StringIO(), stderr=StringIO())

    assert str(raised.value) == (
        f"Error: argument --older-than: must be a whole number of 1 or more days, such as 90, got {days!r}."
    )


def test_command_purges_and_prints_summary(history):
    out = StringIO()

    call_command("purge_history", "--older-than", "90", "--batch-size", "2", stdout=out, stderr=StringIO())

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Deleted history finished before ")
    assert lines[1:] == [
        "  outbound messages: 4",
        "  inbound events: 2",
        "  sync runs: 1",
        "  resolved sync errors: 1",
    ]
    assert "old delivered" not in message_tags()


def test_command_dry_run_deletes_nothing(history):
    out = StringIO()
    total = OutboundMessage.objects.count()

    call_command("purge_history", "--dry-run", stdout=out, stderr=StringIO())

    assert out.getvalue().startswith("Would delete history finished before ")
    assert "  outbound messages: 4\n" in out.getvalue()
    assert OutboundMessage.objects.count() == total


def test_install_schedule_once_on_master():
    call_command("purge_history", "--install-schedule", stdout=StringIO())
    first_run = Schedule.objects.get(name="integrations purge history").next_run

    call_command("purge_history", "--install-schedule", "--older-than", "30", stdout=StringIO())

    schedules = Schedule.objects.filter(func="integrations.tasks.purge_history")
    assert schedules.count() == 1
    schedule = schedules.get()
    assert import_string(schedule.func) is tasks.purge_history
    assert schedule.cluster == "master"
    assert schedule.schedule_type == Schedule.DAILY
    assert schedule.repeats == -1
    assert schedule.kwargs == "{'older_than_days': 30}"
    assert schedule.next_run == first_run
    assert OutboundMessage.objects.count() == 0


def test_scheduled_task_purges_old_history(history):
    counts = tasks.purge_history(older_than_days=90)

    assert counts == {"sync_errors": 1, "outbound_messages": 4, "inbound_events": 2, "sync_runs": 1}
