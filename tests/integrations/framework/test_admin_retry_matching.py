"""The "Retry all matching" button of the sync error list: bad filters and errors without an item."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from integrations.models import SyncError
from integrations.services.syncruns import retry_sync_error_batch

pytestmark = pytest.mark.django_db


def test_retry_matching_unknown_filter_redirects(staff_client, shop, queued, django_capture_on_commit_callbacks):
    sync_error = SyncError.objects.create(connection=shop, direction="outbound", code="bogus", message="m")
    url = reverse("admin:integrations_syncerror_retry_matching") + "?code__exact=bogus&nonsense=1"

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:integrations_syncerror_changelist") + "?e=1"
    (message,) = get_messages(response.wsgi_request)
    assert message.level_tag == "error"
    assert "nothing was retried" in str(message)
    assert queued == []
    sync_error.refresh_from_db()
    assert sync_error.next_retry_at is None


def test_retry_matching_reports_skipped_errors(staff_client, shop, queued):
    SyncError.objects.create(connection=shop, direction="inbound", code="akeneo_invalid_gtin", message="m")
    SyncError.objects.create(connection=shop, direction="inbound", code="akeneo_unknown_family", message="m")

    with translation.override("en"):
        response = staff_client.post(reverse("admin:integrations_syncerror_retry_matching"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302
    texts = [str(message) for message in get_messages(response.wsgi_request)]
    assert texts == [
        "0 items queued for retry. 2 sync errors were skipped because they have no stored webhook "
        "event or outgoing message to send again; run the import or sync again after fixing the cause."
    ]
    assert queued == []


def test_retry_sync_errors_counts_skipped(shop, queued):
    SyncError.objects.create(connection=shop, direction="inbound", code="akeneo_invalid_gtin", message="m")

    result = retry_sync_error_batch(SyncError.objects.all())

    assert result.queued == 0
    assert result.skipped == 1


def test_retry_matching_message_in_german(staff_client, shop, queued):
    SyncError.objects.create(connection=shop, direction="inbound", code="akeneo_invalid_gtin", message="m")

    # The override restores the language afterwards; LocaleMiddleware would leave German active.
    with translation.override("de"):
        response = staff_client.post(reverse("admin:integrations_syncerror_retry_matching"), HTTP_ACCEPT_LANGUAGE="de")

    texts = [str(message) for message in get_messages(response.wsgi_request)]
    assert texts == [
        "0 Einträge zum erneuten Versuch eingereiht. 1 Synchronisationsfehler wurde übersprungen, weil zu ihm "
        "kein gespeichertes Webhook-Ereignis und keine ausgehende Nachricht vorliegt, die erneut gesendet werden "
        "könnte. Beheben Sie die Ursache und führen Sie den Import oder die Synchronisation erneut aus."
    ]
