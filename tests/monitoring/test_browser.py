"""Browser test: a staff user opens the dashboard in headless Chromium and sees tiles and charts.

Chromium comes from Debian's packages (.ci/run installs it); Playwright only drives it, so
`playwright install` is never needed. The screenshot goes to the test's temporary folder, or
to docs/monitoring-dashboard.png when UPDATE_DOCS_SCREENSHOT=1 is set, so a test run leaves
the repository unchanged.
"""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from integrations.models import InboundState, OutboundState, SyncRunState
from monitoring.models import AlertRule, Incident, RuleKind
from monitoring.services.readiness import record_heartbeat
from tests.monitoring.conftest import (
    inbound_event,
    make_connection,
    open_circuit,
    outbound_message,
    sync_error,
    sync_run,
)

CHROMIUM = Path("/usr/bin/chromium")
DOCS_SCREENSHOT = Path(settings.BASE_DIR) / "docs" / "monitoring-dashboard.png"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_browser():
    """Fail, not skip, when the browser or Playwright is missing, so CI cannot pass without the test."""
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}. Install it with `apt-get install -y chromium` (.ci/run does this).")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is missing. Install the test extras: .venv/bin/pip install -e '.[test]'.")
    return sync_playwright


def realistic_installation():
    """A shop, an ERP, a PIM, a carrier and a switched-off marketplace with a day of traffic."""
    now = timezone.now()
    shop = make_connection("shopware-de", name="Shopware DE shop")
    erp = make_connection("odoo-erp", name="Odoo ERP", kind="odoo")
    pim = make_connection("akeneo-pim", name="Akeneo PIM", kind="akeneo")
    carrier = make_connection("dhl", name="DHL Parcel", kind="dhl")
    make_connection("marketplace", name="Marketplace (paused)", kind="otto", enabled=False)

    for hour in range(24):
        moment = now - timedelta(hours=hour, minutes=10)
        for _ in range(3 + (hour * 7) % 9):
            inbound_event(shop, received_at=moment, processed_at=moment + timedelta(seconds=2 + hour % 5))
        for _ in range(2 + (hour * 5) % 7):
            outbound_message(erp, created_at=moment, state=OutboundState.DELIVERED, delivered_at=moment + timedelta(seconds=3 + hour % 4), attempts=1)
        if hour % 6 == 2:
            inbound_event(pim, entity="products", received_at=moment, processed_at=moment + timedelta(minutes=4 + hour % 3))
            sync_error(erp, created_at=moment, code="validation_failed", message="Tax rate 7 % is not mapped in Odoo.")

    sync_run(shop, finished_at=now - timedelta(minutes=2))
    sync_run(erp, finished_at=now - timedelta(minutes=3))
    sync_run(pim, finished_at=now - timedelta(minutes=40))
    inbound_event(pim, entity="products", received_at=now - timedelta(minutes=22), state=InboundState.PENDING)
    sync_run(carrier, state=SyncRunState.FAILED, started_at=now - timedelta(minutes=5), finished_at=now - timedelta(minutes=5))
    open_circuit(carrier)
    rule = AlertRule.objects.create(name="DHL circuit", kind=RuleKind.CIRCUIT_OPEN, connection=carrier)
    Incident.objects.create(rule=rule, connection=carrier, opened_at=now - timedelta(minutes=4), message="The circuit breaker is open.")
    record_heartbeat("hot", now - timedelta(seconds=20), now=now - timedelta(seconds=18))
    record_heartbeat("master", now - timedelta(seconds=50), now=now - timedelta(seconds=41))


def test_dashboard_in_browser(live_server, django_user_model, tmp_path):
    sync_playwright = require_browser()
    screenshot = DOCS_SCREENSHOT if os.environ.get("UPDATE_DOCS_SCREENSHOT") == "1" else tmp_path / "dashboard.png"

    # given an admin user and an installation with connections in every state
    django_user_model.objects.create_superuser("support", "support@example.com", "support-pw-123")
    realistic_installation()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})

            # when the user logs in and opens the dashboard
            page.goto(f"{live_server.url}/admin/login/?next=/admin/monitoring/dashboard/")
            page.fill("#id_username", "support")
            page.fill("#id_password", "support-pw-123")
            page.click("input[type=submit]")
            page.wait_for_selector(".kontor-tile")

            # then every tile and chart is visible, with the states of the connections
            tiles = page.locator(".kontor-tile")
            assert tiles.count() == 5
            for index in range(5):
                assert tiles.nth(index).is_visible()
            states = {
                tiles.nth(index).get_attribute("data-connection"): tiles.nth(index).get_attribute("data-state")
                for index in range(5)
            }
            assert states == {
                "akeneo-pim": "degraded",
                "dhl": "failing",
                "marketplace": "disabled",
                "odoo-erp": "degraded",
                "shopware-de": "healthy",
            }
            charts = page.locator("svg.kontor-chart")
            assert charts.count() == 4
            for index in range(4):
                assert charts.nth(index).is_visible()
                assert charts.nth(index).bounding_box()["height"] > 100
            assert page.locator(".kontor-tile.state-failing .kontor-badge").inner_text() == "failing"

            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()

    assert screenshot.stat().st_size > 20_000
