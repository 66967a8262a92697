from datetime import UTC, datetime, timedelta

import pytest
import responses

from integrations.models import DeltaCursor, InboundEvent, SyncError, SyncRun, SyncRunState
from integrations.services.cursors import run_delta_pull
from tests.integrations.framework.conftest import BASE_URL, make_connection
from tests.integrations.framework.fakeremote import FakeShopApi

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)


def minutes(n):
    return T0 + timedelta(minutes=n)


def stored_versions():
    return sorted(InboundEvent.objects.values_list("external_id", "version"))


@responses.activate
def test_item_changed_during_paging_read_once_per_version(shop):
    remote = FakeShopApi(BASE_URL, "products")
    for number, item_id in enumerate("ABCDEFG", start=1):
        remote.put(item_id, minutes(number), name=item_id)

    def change_b_after_first_page(request_count):
        if request_count == 1:
            remote.put("B", minutes(30), name="B changed")

    remote.after_request = change_b_after_first_page
    remote.install()

    run = run_delta_pull(shop, "products")

    assert run.state == SyncRunState.SUCCEEDED
    assert run.read_count == 8
    assert stored_versions() == sorted(
        [(item_id, f"2026-05-01T10:0{number}:00") for number, item_id in enumerate("ABCDEFG", start=1)]
        + [("B", "2026-05-01T10:30:00")]
    )
    cursor = DeltaCursor.objects.get(connection=shop, entity="products")
    assert cursor.updated_at == minutes(30)
    assert cursor.last_id == "B"


@responses.activate
def test_overlap_rereads_without_duplicates(shop):
    remote = FakeShopApi(BASE_URL, "products")
    for number, item_id in enumerate("ABCD", start=1):
        remote.put(item_id, minutes(number), name=item_id)
    remote.install()
    run_delta_pull(shop, "products")
    first_request_of_second_run = len(remote.requests)

    second = run_delta_pull(shop, "products")

    assert remote.requests[first_request_of_second_run]["updated_since"] == "2026-05-01T09:59:00"
    assert second.read_count == 4
    assert second.skipped_count == 4
    assert second.queued_count == 0
    # The first run handed its four new items to the workers, so its counts add up to what it read.
    first = SyncRun.objects.exclude(pk=second.pk).get(connection=shop, entity="products")
    assert first.queued_count == 4
    assert first.read_count == 4
    assert InboundEvent.objects.count() == 4


@responses.activate
def test_cursor_not_advanced_past_failed_page(shop):
    remote = FakeShopApi(BASE_URL, "products")
    for number, item_id in enumerate("ABCDEFG", start=1):
        remote.put(item_id, minutes(number), name=item_id)
    remote.fail_on_request = 2
    remote.install()

    run = run_delta_pull(shop, "products")

    assert run.state == SyncRunState.FAILED
    assert run.read_count == 3
    cursor = DeltaCursor.objects.get(connection=shop, entity="products")
    assert (cursor.updated_at, cursor.last_id) == (minutes(3), "C")
    error = SyncError.objects.get()
    assert error.sync_run == run
    assert error.code == "server_error"

    remote.fail_on_request = None
    resumed = run_delta_pull(shop, "products")

    assert resumed.state == SyncRunState.SUCCEEDED
    assert InboundEvent.objects.count() == 7


@responses.activate
def test_cursor_across_autumn_dst_change():
    connection = make_connection("berlin-shop", time_zone="Europe/Berlin")
    remote = FakeShopApi(BASE_URL, "products", "Europe/Berlin")
    # Europe/Berlin falls back from 03:00 CEST to 02:00 CET at 01:00 UTC on 2026-10-25,
    # so local 02:20 and 02:50 occur twice.
    change_times = {
        "a": datetime(2026, 10, 25, 0, 20, tzinfo=UTC),
        "b": datetime(2026, 10, 25, 0, 50, tzinfo=UTC),
        "c": datetime(2026, 10, 25, 1, 20, tzinfo=UTC),
        "d": datetime(2026, 10, 25, 1, 50, tzinfo=UTC),
        "e": datetime(2026, 10, 25, 2, 10, tzinfo=UTC),
    }
    for item_id, moment in change_times.items():
        remote.put(item_id, moment, name=item_id)
    remote.install()

    run_delta_pull(connection, "products")

    assert sorted(InboundEvent.objects.values_list("external_id", flat=True)) == ["a", "b", "c", "d", "e"]
    cursor = DeltaCursor.objects.get(connection=connection, entity="products")
    assert cursor.updated_at == datetime(2026, 10, 25, 2, 10, tzinfo=UTC)
    assert cursor.last_id == "e"

    remote.put("f", datetime(2026, 10, 25, 2, 30, tzinfo=UTC), name="f")
    first_request_of_second_run = len(remote.requests)
    run_delta_pull(connection, "products")

    # 02:05 UTC is 03:05 CET, after the change.
    assert remote.requests[first_request_of_second_run]["updated_since"] == "2026-10-25T03:05:00"
    assert InboundEvent.objects.filter(external_id="f").count() == 1
    assert DeltaCursor.objects.get(pk=cursor.pk).updated_at == datetime(2026, 10, 25, 2, 30, tzinfo=UTC)


@responses.activate
def test_cursor_across_spring_dst_change():
    connection = make_connection("berlin-shop", time_zone="Europe/Berlin")
    remote = FakeShopApi(BASE_URL, "products", "Europe/Berlin")
    # 00:58 UTC is 01:58 CET, two minutes before clocks jump to 03:00 CEST.
    remote.put("a", datetime(2026, 3, 29, 0, 58, tzinfo=UTC), name="a")
    remote.install()
    run_delta_pull(connection, "products")
    remote.put("b", datetime(2026, 3, 29, 1, 5, tzinfo=UTC), name="b")
    first_request_of_second_run = len(remote.requests)

    run_delta_pull(connection, "products")

    assert remote.requests[first_request_of_second_run]["updated_since"] == "2026-03-29T01:53:00"
    assert sorted(InboundEvent.objects.values_list("external_id", "version")) == [
        ("a", "2026-03-29T01:58:00"),
        ("b", "2026-03-29T03:05:00"),
    ]
    cursor = DeltaCursor.objects.get(connection=connection, entity="products")
    assert cursor.updated_at == datetime(2026, 3, 29, 1, 5, tzinfo=UTC)
