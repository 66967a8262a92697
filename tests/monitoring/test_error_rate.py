"""The error rate counts failed items, not warnings, against every item attempted in the window."""

from datetime import timedelta

import pytest

from integrations.models import (
    InboundSource,
    OutboundMessage,
    OutboundState,
    SyncDirection,
    SyncRunKind,
)
from monitoring.models import AlertRule, RuleKind
from monitoring.services.conditions import measure_error_rate
from monitoring.services.errorrate import error_rate
from tests.monitoring.conftest import (
    NOW,
    inbound_event,
    make_connection,
    outbound_message,
    sync_error,
    sync_run,
)

pytestmark = pytest.mark.django_db

WINDOW = timedelta(minutes=30)


def error_rate_rule(**fields):
    values = {"name": "Sync errors rising", "kind": RuleKind.ERROR_RATE, "threshold": 10, "minimum_count": 5, "window_minutes": 30}
    return AlertRule.objects.create(**{**values, **fields})


def import_run(connection, read, *, started_at=NOW - timedelta(minutes=10), finished_at=NOW - timedelta(minutes=5)):
    run = sync_run(connection, kind=SyncRunKind.PULL, started_at=started_at, finished_at=finished_at)
    run.read_count = read
    run.save(update_fields=["read_count"])
    return run


def import_warning(connection, run, *, resolved=False):
    return sync_error(
        connection, created_at=NOW - timedelta(minutes=6), direction=SyncDirection.INBOUND, code="akeneo_unknown_attribute",
        payload={"entity": "products", "severity": "warning"}, sync_run=run, resolved=resolved,
    )


def test_import_with_warnings_only_has_no_error_rate():
    # given an import that read 1,915 records, rejected none and left 246 warnings, half resolved
    akeneo = make_connection("akeneo", kind="akeneo")
    run = import_run(akeneo, 1915)
    for index in range(246):
        import_warning(akeneo, run, resolved=index % 2 == 0)

    # when the error-rate rule measures the last 30 minutes
    measurement = measure_error_rate(error_rate_rule(), akeneo, NOW)

    # then no item failed out of the 1,915 read and the rule does not fire
    assert measurement.firing is False
    assert measurement.value == 0.0
    assert str(measurement.message) == "0 of 1915 items failed in the last 30 minutes (0%, threshold 10%)."


def test_errors_against_reads_and_messages():
    # given a catalog push that read 20 products and failed 6 of them (2 resolved since),
    # 10 messages delivered and 4 first tried in the window, and 5 webhook events received
    shop = make_connection("shop")
    run = import_run(shop, 20)
    for index in range(6):
        sync_error(shop, created_at=NOW - timedelta(minutes=7), sync_run=run, resolved=index < 2, resolved_at=NOW if index < 2 else None)
    for _ in range(10):
        outbound_message(shop, created_at=NOW - timedelta(minutes=20), state=OutboundState.DELIVERED, delivered_at=NOW - timedelta(minutes=3))
    tried = [outbound_message(shop, created_at=NOW - timedelta(minutes=20), state=OutboundState.PENDING, attempts=1) for _ in range(4)]
    OutboundMessage.objects.filter(pk__in=[message.pk for message in tried]).update(first_attempt_at=NOW - timedelta(minutes=2))
    for _ in range(5):
        inbound_event(shop, received_at=NOW - timedelta(minutes=1))

    # when the rate of the last 30 minutes is read
    rate = error_rate(shop, NOW - WINDOW, NOW)

    # then 6 of 39 items failed
    assert rate.failed == 6
    assert rate.attempted == 39
    assert round(rate.percent, 1) == 15.4
    measurement = measure_error_rate(error_rate_rule(), shop, NOW)
    assert measurement.firing is True
    assert str(measurement.message) == "6 of 39 items failed in the last 30 minutes (15%, threshold 10%)."


def test_untried_and_old_items_left_out():
    # given items from before the window, messages still waiting for their first try, and
    # pulled events that their pull run counts already
    shop = make_connection("shop")
    import_run(shop, 50, started_at=NOW - timedelta(hours=3), finished_at=NOW - timedelta(hours=2))
    sync_error(shop, created_at=NOW - timedelta(hours=2))
    outbound_message(shop, created_at=NOW - timedelta(hours=2), state=OutboundState.DELIVERED, delivered_at=NOW - timedelta(hours=2))
    outbound_message(shop, created_at=NOW - timedelta(minutes=5), state=OutboundState.PENDING)
    pulled = inbound_event(shop, received_at=NOW - timedelta(minutes=5))
    type(pulled).objects.filter(pk=pulled.pk).update(source=InboundSource.PULL)
    pull = import_run(shop, 1)

    # when the rate of the last 30 minutes is read
    rate = error_rate(shop, NOW - WINDOW, NOW)

    # then only the pull run's one read item was attempted and nothing failed
    assert rate.failed == 0
    assert rate.attempted == 1
    assert pull.read_count == 1


def test_run_still_running_counts_its_reads():
    # given a push run that started before the window and still runs, 8 items read, 1 failed
    shop = make_connection("shop")
    run = import_run(shop, 8, started_at=NOW - timedelta(hours=1), finished_at=None)
    sync_error(shop, created_at=NOW - timedelta(minutes=1), sync_run=run)

    # when the rate of the last 30 minutes is read
    rate = error_rate(shop, NOW - WINDOW, NOW)

    # then the run's items count as attempted
    assert rate.failed == 1
    assert rate.attempted == 8


def test_failed_page_without_items_reads_as_all_failed():
    # given a failed pull page: one sync error and no item read
    shop = make_connection("shop")
    sync_error(shop, created_at=NOW - timedelta(minutes=1))

    # when the rate is read
    rate = error_rate(shop, NOW - WINDOW, NOW)

    # then the error counts as its own item
    assert rate.items == 1
    assert rate.percent == 100.0
