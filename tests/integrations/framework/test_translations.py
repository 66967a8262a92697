import pytest
from django.utils import translation

from integrations.itemerrors import MappingMissing
from integrations.models import SyncError
from integrations.services.mappings import map_category

pytestmark = pytest.mark.django_db


def test_admin_names_in_german():
    with translation.override("de"):
        assert str(SyncError._meta.verbose_name_plural) == "Synchronisationsfehler"


def test_item_error_message_in_german(shop):
    with translation.override("de"):
        with pytest.raises(MappingMissing) as raised:
            map_category(shop, "shoes")
        message = raised.value.support_message

    assert message == (
        'Keine Kategoriezuordnung für den Wert "shoes" in Shop. Legen Sie sie unter Integrationen > '
        "Kategoriezuordnungen an (oder importieren Sie eine CSV-Datei) und versuchen Sie es dann erneut."
    )
