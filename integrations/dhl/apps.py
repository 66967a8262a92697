from django.apps import AppConfig


class DhlConfig(AppConfig):
    name = "integrations.dhl"
    label = "dhl"
    verbose_name = "DHL Parcel DE"

    def ready(self):
        from integrations.dhl.connector import DhlConnector
        from integrations.registry import register

        register(DhlConnector)
