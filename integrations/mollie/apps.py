from django.apps import AppConfig


class MollieConfig(AppConfig):
    name = "integrations.mollie"
    label = "mollie"
    verbose_name = "Mollie"

    def ready(self):
        from integrations.mollie.connector import MollieConnector
        from integrations.registry import register

        register(MollieConnector)
