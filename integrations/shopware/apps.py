from django.apps import AppConfig


class ShopwareConfig(AppConfig):
    name = "integrations.shopware"
    label = "shopware"
    verbose_name = "Shopware 6"

    def ready(self):
        from integrations.registry import register
        from integrations.shopware import retrychecks
        from integrations.shopware.connector import ShopwareConnector

        register(ShopwareConnector)
        retrychecks.register()
