import pytest

from integrations import registry
from integrations.models import Connection
from integrations.registry import Connector, UnknownConnector
from tests.integrations.framework.testshop import TestShopConnector


def test_registered_connector_found_by_kind(db):
    connection = Connection(kind="testshop", name="Shop", slug="shop")

    assert isinstance(connection.connector, TestShopConnector)
    assert ("testshop", "Test shop") in registry.connector_choices()


def test_unknown_kind_names_fix():
    with pytest.raises(UnknownConnector) as raised:
        registry.get_connector("nosuch")

    assert "CONNECTOR_APPS" in str(raised.value)


def test_kind_taken_by_other_class_rejected():
    class Impostor(Connector):
        kind = "testshop"

    with pytest.raises(ValueError, match="already registered"):
        registry.register(Impostor)


def test_unknown_entity_rejected():
    class Broken(Connector):
        kind = "broken"
        reads = frozenset({"gadgets"})

    with pytest.raises(ValueError):
        registry.register(Broken)
    assert "broken" not in dict(registry.connector_choices())
