"""The schedule that starts the Odoo poll loops is installed when an enabled Odoo connection
is saved, and by `manage.py odoo_pollers --install-schedule`."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django_q.models import Schedule

from integrations.models import Connection
from integrations.odoo import tasks
from integrations.sandbox.odoo import seed
from tests.odoo.conftest import make_odoo_connection

pytestmark = pytest.mark.django_db


def pollers_schedules():
    return list(Schedule.objects.filter(name=tasks.POLLERS_SCHEDULE))


def assert_pollers_schedule(schedule):
    assert schedule.func == "integrations.odoo.tasks.ensure_pollers"
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == (Schedule.MINUTES, 1, -1)
    assert schedule.cluster == tasks.POLL_LANE


def test_admin_added_odoo_installs_schedule(client):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw"))

    response = client.post(
        reverse("admin:integrations_connection_add"),
        {
            "kind": "odoo",
            "name": "Odoo",
            "slug": "odoo",
            "base_url": "http://127.0.0.1:9/",
            "enabled": "on",
            "time_zone": "UTC",
            "rate_limit_per_second": "5",
            "rate_limit_burst": "10",
            "entities-TOTAL_FORMS": "0",
            "entities-INITIAL_FORMS": "0",
            "credential_database": seed.DEFAULT_DATABASE,
            "credential_login": seed.DEFAULT_LOGIN,
            "credential_api_key": "odoo-key-value",
            "credential_version": "19.0",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    [schedule] = pollers_schedules()
    assert_pollers_schedule(schedule)


def test_disabled_connection_waits_until_enabled():
    connection = make_odoo_connection()
    Schedule.objects.all().delete()
    connection.enabled = False
    connection.save()
    assert pollers_schedules() == []

    connection.enabled = True
    connection.save()

    [schedule] = pollers_schedules()
    assert_pollers_schedule(schedule)


def test_other_kinds_install_nothing():
    Connection.objects.create(kind="shopware", name="Shop", slug="shop", base_url="http://127.0.0.1:9/")

    assert pollers_schedules() == []


def test_install_schedule_command_is_idempotent():
    # A schedule edited by hand is set back to every minute on the poll lane.
    Schedule.objects.create(name=tasks.POLLERS_SCHEDULE, func="math.floor", schedule_type=Schedule.MINUTES, minutes=5, cluster="hot")
    output = io.StringIO()

    call_command("odoo_pollers", "--install-schedule", stdout=output)
    call_command("odoo_pollers", "--install-schedule", stdout=output)

    [schedule] = pollers_schedules()
    assert_pollers_schedule(schedule)
    assert output.getvalue().splitlines() == ["Installed the schedule 'odoo pollers' (every minute, poll lane)."] * 2


def test_command_queues_missing_loops(monkeypatch):
    enabled = make_odoo_connection()
    switched_off = make_odoo_connection(slug="odoo-off")
    Connection.objects.filter(pk=switched_off.pk).update(enabled=False)
    queued = []
    monkeypatch.setattr(tasks, "async_task", lambda func, *args, cluster: queued.append((func, args, cluster)))
    output = io.StringIO()

    call_command("odoo_pollers", stdout=output)

    assert sorted(queued) == [
        (tasks.POLL_TASK, (enabled.pk, None, tasks.ORDERS_LOOP), tasks.POLL_LANE),
        (tasks.POLL_TASK, (enabled.pk, None, tasks.STOCK_LOOP), tasks.POLL_LANE),
    ]
    assert output.getvalue() == "Queued 2 Odoo poll loops on the poll lane.\n"
