"""The Shopware 6 connector (being built)."""

from integrations.registry import Connector


class ShopwareConnector(Connector):
    kind = "shopware"
    display_name = "Shopware 6"
