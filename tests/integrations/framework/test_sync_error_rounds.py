"""A sync error retried and failed again keeps what its first round knew about the item.

A failed catalog push records the SKU and the push's run. The retried message fails with only
its payload, and the error used to lose the SKU: its title then named the product's internal
id, and the admin search by SKU no longer found it.
"""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from integrations.errors import ValidationFailed
from integrations.models import OutboundMessage, SyncDirection, SyncRunKind
from integrations.services.syncruns import record_sync_error, start_sync_run
from tests.factories import ProductFactory
from tests.integrations.framework.conftest import make_connection

pytestmark = pytest.mark.django_db


def test_second_round_keeps_sku_and_run_and_counts_attempts():
    connection = make_connection()
    product = ProductFactory(sku="JACKET-M")
    run = start_sync_run(connection, SyncRunKind.PUSH, "products")
    message = OutboundMessage.objects.create(
        connection=connection, entity="products", content_type=ContentType.objects.get_for_model(product), object_id=str(product.pk),
        payload={"sku": "JACKET-M"}, fingerprint="f", idempotency_key="key-1", lane="master", next_attempt_at=timezone.now(),
    )
    error = ValidationFailed("price missing", connection=connection.name)

    first = record_sync_error(
        connection, SyncDirection.OUTBOUND, error, entity="products", record=product, external_id="JACKET-M", sync_run=run,
        attempts=1, outbound_message=message,
    )
    again = record_sync_error(
        connection, SyncDirection.OUTBOUND, error, entity="products", record=product, payload={"sku": "JACKET-M"},
        attempts=1, outbound_message=message,
    )

    again.refresh_from_db()
    assert again.pk == first.pk
    assert (again.external_id, again.sync_run_id, again.attempts) == ("JACKET-M", run.pk, 2)
    assert again.payload == {"sku": "JACKET-M"}
