import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError

from catalog.models import Warehouse
from integrations.models import Binding
from integrations.services.bindings import bind, find_record, fingerprint_of

pytestmark = pytest.mark.django_db


def test_external_id_unique_per_connection_and_type(shop):
    first = Warehouse.objects.create(code="W1", name="One")
    second = Warehouse.objects.create(code="W2", name="Two")
    bind(shop, first, "X-1")

    with pytest.raises(IntegrityError):
        Binding.objects.create(
            connection=shop, content_type=ContentType.objects.get_for_model(Warehouse), object_id=str(second.pk), external_id="X-1"
        )


def test_find_record_by_external_id(shop, erp):
    warehouse = Warehouse.objects.create(code="W1", name="One")
    bind(shop, warehouse, "X-1")

    assert find_record(shop, Warehouse, "X-1") == warehouse
    assert find_record(erp, Warehouse, "X-1") is None


def test_fingerprint_ignores_key_order():
    assert fingerprint_of({"a": 1, "b": [1, 2]}) == fingerprint_of({"b": [1, 2], "a": 1})
    assert fingerprint_of({"a": 1}) != fingerprint_of({"a": 2})
