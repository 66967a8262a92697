from django.apps import AppConfig


class AkeneoConfig(AppConfig):
    name = "integrations.akeneo"
    label = "akeneo"
    verbose_name = "Akeneo PIM"

    def ready(self):
        from integrations.akeneo.connector import AkeneoConnector
        from integrations.registry import register

        register(AkeneoConnector)
