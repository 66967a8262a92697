"""Browser test: during an ERP outage the dashboard shows the waiting orders in a tile, a chart and a list."""

from datetime import timedelta

from django.utils import timezone

from integrations.models import OutboundState
from tests.monitoring.test_browser import CHROMIUM, CHROMIUM_ARGS, require_browser
from tests.monitoring.test_order_backlog import make_erp, order_message


def test_backlog_tile_in_browser(live_server, django_user_model):
    sync_playwright = require_browser()

    # given an ERP that has taken no order for 40 minutes, with six orders waiting
    django_user_model.objects.create_superuser("support", "support@example.com", "support-pw-123")
    now = timezone.now()
    erp = make_erp()
    for number in range(5):
        order_message(erp, object_id=number, created_at=now - timedelta(minutes=40 - number * 5), attempts=3)
    order_message(erp, object_id=9, created_at=now - timedelta(minutes=1), state=OutboundState.IN_FLIGHT, attempts=1)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})

            # when support logs in, opens the dashboard and follows the tile's count
            page.goto(f"{live_server.url}/admin/login/?next=/admin/monitoring/dashboard/")
            page.fill("#id_username", "support")
            page.fill("#id_password", "support-pw-123")
            page.click("input[type=submit]")
            page.wait_for_selector(".kontor-backlog")
            tile = page.locator(".kontor-backlog")
            total = tile.locator('[data-field="backlog-total"]').inner_text()
            retrying = tile.locator('[data-field="backlog-retrying"]').inner_text()
            in_flight = tile.locator('[data-field="backlog-in-flight"]').inner_text()
            chart = page.locator("svg.kontor-chart polyline.series.backlog")
            chart_visible = chart.is_visible()
            tile.locator('[data-field="backlog-total"] a').click()
            page.wait_for_selector("#result_list")
            listed_rows = page.locator("#result_list tbody tr").count()
        finally:
            browser.close()

    # then the tile shows six orders, the chart is drawn, and the list shows the six messages
    assert total == "6"
    assert retrying == "5"
    assert in_flight == "1"
    assert chart_visible
    assert listed_rows == 6
